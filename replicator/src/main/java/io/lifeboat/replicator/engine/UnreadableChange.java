package io.lifeboat.replicator.engine;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.schema.TableName;

/** A change in the slot that Debezium cannot turn into a record: the table, the value and why. */
public record UnreadableChange(TableName table, String column, String type, Lsn lsn, String cause) {
    /** What the table is paused with, and {@code sync status} shows. */
    public String reason() {
        return table + ": a change at " + lsn + " cannot be read by Debezium (column " + column + " " + type + ": "
                + cause + ")";
    }
}
