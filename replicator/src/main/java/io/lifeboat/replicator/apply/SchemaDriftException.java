package io.lifeboat.replicator.apply;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.TableName;

/** A change names a column the standby's table lacks: DDL ran on the master and not on the standby. */
public class SchemaDriftException extends LifeboatException {
    private final TableName table;

    public SchemaDriftException(TableName table, String what) {
        super(table + ": schema drift: " + what, "apply the same DDL on the standby; the table resumes by itself", null);
        this.table = table;
    }

    public TableName table() {
        return table;
    }
}
