package io.lifeboat.replicator.setup;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Checks that the standby has every replicated table with every column the master writes. */
public final class StandbyTables {
    private StandbyTables() {
    }

    /** @throws LifeboatException listing every missing table and column, one per line */
    public static void check(Connection standby, List<Table> masterTables) throws SQLException {
        List<String> problems = new ArrayList<>();
        for (Table table : masterTables) {
            Table there = TableCatalog.find(standby, table.name()).orElse(null);
            if (there == null) {
                problems.add(table.name() + ": table missing on standby");
                continue;
            }
            Map<String, Column> columns = there.columns().stream()
                    .collect(Collectors.toMap(Column::name, Function.identity()));
            for (Column column : table.writableColumns()) {
                Column standbyColumn = columns.get(column.name());
                if (standbyColumn == null) {
                    problems.add(table.name() + ": column " + column.name() + " missing on standby");
                } else if (!standbyColumn.type().equals(column.type())) {
                    problems.add(table.name() + ": column " + column.name() + " is " + standbyColumn.type()
                            + " on standby but " + column.type() + " on master");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new LifeboatException(String.join("\n", problems),
                    "create the schema on the standby first, e.g. pg_dump --schema-only on the master | psql on"
                            + " the standby", null);
        }
    }
}
