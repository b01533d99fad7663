package io.lifeboat.replicator.schema;

import java.util.List;
import java.util.stream.Collectors;

/** A table as the replicator sees it: its columns in order and its primary key, if any. */
public record Table(TableName name, List<Column> columns, List<String> primaryKey) {
    public boolean hasPrimaryKey() {
        return !primaryKey.isEmpty();
    }

    /** The columns the standby is written to: all but generated ones. */
    public List<Column> writableColumns() {
        return columns.stream().filter(c -> !c.generated()).toList();
    }

    public String writableColumnList() {
        return writableColumns().stream().map(Column::quoted).collect(Collectors.joining(", "));
    }
}
