package io.lifeboat.replicator.apply;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.TableName;

/** A change names a column the standby's table lacks: DDL ran on the master and not on the standby. */
public class SchemaDriftException extends LifeboatException {
    private final TableName table;
    private final String missingColumn;

    public SchemaDriftException(TableName table, String what) {
        this(table, what, null);
    }

    private SchemaDriftException(TableName table, String what, String missingColumn) {
        super(table + ": schema drift: " + what, "apply the same DDL on the standby; the table resumes by itself", null);
        this.table = table;
        this.missingColumn = missingColumn;
    }

    public static SchemaDriftException columnMissing(TableName table, String column) {
        return new SchemaDriftException(table, "column " + column + " missing on standby", column);
    }

    /** The column the standby lacks, when that is the drift. */
    public java.util.Optional<String> missingColumn() {
        return java.util.Optional.ofNullable(missingColumn);
    }

    public TableName table() {
        return table;
    }
}
