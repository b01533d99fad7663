package io.lifeboat.replicator.apply;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.TableName;
import java.util.Optional;

/**
 * A change does not fit the standby's table: DDL ran on the master and not on the standby (a column missing or
 * left over, the table missing), or the standby refused the change ({@link TableRejectedException}).
 */
public class SchemaDriftException extends LifeboatException {
    private final TableName table;
    private final String missingColumn;
    private final String standbyOnlyColumn;

    public SchemaDriftException(TableName table, String what) {
        this(table, what, null, null, null);
    }

    /** For failures that are not drift in the strict sense, with their own message and hint. */
    SchemaDriftException(TableName table, String message, String hint, Throwable cause) {
        super(message, hint, cause);
        this.table = table;
        this.missingColumn = null;
        this.standbyOnlyColumn = null;
    }

    private SchemaDriftException(TableName table, String what, String missingColumn, String standbyOnlyColumn,
                                 Throwable cause) {
        super(table + ": schema drift: " + what, "apply the same DDL on the standby; the table resumes by itself",
                cause);
        this.table = table;
        this.missingColumn = missingColumn;
        this.standbyOnlyColumn = standbyOnlyColumn;
    }

    public static SchemaDriftException columnMissing(TableName table, String column) {
        return new SchemaDriftException(table, "column " + column + " missing on standby", column, null, null);
    }

    /** The master sent whole rows without this column: it was dropped (or never existed) on the master. */
    public static SchemaDriftException columnOnlyOnStandby(TableName table, String column) {
        return new SchemaDriftException(table, "column " + column + " exists only on standby", null, column, null);
    }

    /** The column the standby lacks, when that is the drift. */
    public Optional<String> missingColumn() {
        return Optional.ofNullable(missingColumn);
    }

    /** The column only the standby has, when that is the drift. */
    public Optional<String> standbyOnlyColumn() {
        return Optional.ofNullable(standbyOnlyColumn);
    }

    public TableName table() {
        return table;
    }
}
