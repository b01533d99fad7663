package io.lifeboat.replicator.engine;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.schema.TableName;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/** The Debezium engine's settings: why each one is what it is, in one place. */
final class EngineProperties {
    /** Records per batch the engine hands over; a batch smaller than this means the stream has caught up. */
    static final int MAX_BATCH_SIZE = 2048;
    /** Values held in memory per piece of a large transaction, or per group of small ones (an estimate). */
    static final long PIECE_BYTES = 16L << 20;
    /** The engine's queue, in bytes: rows with large TOASTed values must not fill the heap while they wait. */
    static final long QUEUE_BYTES = 64L << 20;

    private EngineProperties() {
    }

    /**
     * The streamed tables are the publication's: Debezium is not told them again (a list would hide new tables).
     *
     * @param uncaptured tables whose changes Debezium passes over without reading a value: a change of theirs it
     *                   cannot read would otherwise stop every table (they stay published: a table dropped from the
     *                   publication is still decoded for the WAL written before)
     */
    static Properties of(ConnectionConfig master, ReplicationConfig replication, Set<TableName> uncaptured) {
        Properties p = new Properties();
        p.setProperty("name", "lifeboat-" + replication.slot());
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        // The standby's applied position is the durable position; Debezium's own offsets only need to reach the
        // slot (confirmed_flush_lsn), which a fresh engine then resumes from.
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "500");
        p.setProperty("database.hostname", master.host());
        p.setProperty("database.port", Integer.toString(master.port()));
        p.setProperty("database.user", master.user());
        p.setProperty("database.password", master.password().map(s -> s.reveal()).orElse(""));
        p.setProperty("database.dbname", master.database());
        p.setProperty("database.sslmode", master.sslmode().configValue());
        p.setProperty("topic.prefix", "lifeboat");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", replication.slot());
        p.setProperty("publication.name", replication.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        // A connection lost to a restarting master ends the engine instead of being retried inside it after 10 s:
        // the replicator then starts over with backoff, a fresh applier and nothing half-assembled, and says so.
        p.setProperty("errors.max.retries", "0");
        // BEGIN/END records: END carries the transaction's commit position, and acknowledging it moves the slot
        // exactly past the transaction, so a restart re-delivers nothing that was applied.
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("skipped.operations", "none");
        p.setProperty("tombstones.on.delete", "false");
        // Every column as PostgreSQL text: Debezium's own representations lose 2-D arrays, bounds, BC years...
        p.setProperty("converters", "pgtext");
        p.setProperty("pgtext.type", PgTextConverter.class.getName());
        p.setProperty("include.unknown.datatypes", "true");
        // Records waiting in the queue survive young collections: with 32768 of them each collection copied up to
        // ~100 MB, on a heap the launcher bounds at 384 MB. A standby transaction holds at most one engine batch
        // (about 1400 pgbench rows at 2048); the capture groups batches into larger standby transactions.
        p.setProperty("max.batch.size", Integer.toString(MAX_BATCH_SIZE));
        p.setProperty("max.queue.size.in.bytes", Long.toString(QUEUE_BYTES));
        p.setProperty("max.queue.size", "4096");
        // How long the engine sleeps when its queue is empty before looking again: 10 ms cost an idle service about 9 %
        // of a core (bench/service-idle.sh); 100 ms costs about 2 % and adds at most 100 ms to lag, never to catch-up
        // (a queue with records in it is drained at once).
        p.setProperty("poll.interval.ms", "100");
        // The engine hands every record to this pool and waits for it back, even with no transforms to run: one
        // thread is all that needs. From 3.7 on the engine's default pool is sized to every core.
        p.setProperty("record.processing.threads", "1");
        // Per-event work on Debezium's streaming thread that nothing in Lifeboat reads: lag percentiles (a sketch
        // fed through a queue to a thread of their own) and the context headers on every record.
        p.setProperty("statistics.metrics.enabled", "false");
        p.setProperty("extended.headers.enabled", "false");
        if (!uncaptured.isEmpty()) {
            p.setProperty("table.exclude.list", uncaptured.stream().sorted().map(EngineProperties::pattern)
                    .collect(Collectors.joining(",")));
        }
        // No table.include.list: the publication already holds exactly the streamed tables, and Debezium fixes its
        // include list at start. With one, a table published while the engine runs (created on the master) was
        // never streamed, and a table renamed on the master kept its old name (Debezium ignores a filtered-out
        // relation message), so its changes landed in the standby's old table.
        return p;
    }

    /**
     * A regular expression that matches exactly {@code schema.table} as Debezium spells it: every ASCII character
     * but letters and digits escaped (a comma too, which Debezium's list splitter then keeps).
     */
    static String pattern(TableName table) {
        StringBuilder pattern = new StringBuilder();
        for (char c : (table.schema() + "." + table.name()).toCharArray()) {
            if (c < 128 && !Character.isLetterOrDigit(c)) {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.toString();
    }
}
