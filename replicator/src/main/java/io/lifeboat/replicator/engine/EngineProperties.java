package io.lifeboat.replicator.engine;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.schema.Table;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The Debezium engine's settings: why each one is what it is, in one place. */
final class EngineProperties {
    private EngineProperties() {
    }

    static Properties of(ConnectionConfig master, ReplicationConfig replication, List<Table> pushdelta) {
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
        // (about 1400 pgbench rows at 2048), still few enough commits that the standby does not notice.
        p.setProperty("max.batch.size", "2048");
        p.setProperty("max.queue.size", "4096");
        p.setProperty("poll.interval.ms", "10");
        // The engine hands every record to this pool and waits for it back, even with no transforms to run: one
        // thread is all that needs. From 3.7 on the engine's default pool is sized to every core.
        p.setProperty("record.processing.threads", "1");
        // Per-event work on Debezium's streaming thread that nothing in Lifeboat reads: lag percentiles (a sketch
        // fed through a queue to a thread of their own) and the context headers on every record.
        p.setProperty("statistics.metrics.enabled", "false");
        p.setProperty("extended.headers.enabled", "false");
        if (!pushdelta.isEmpty()) {
            p.setProperty("table.include.list", pushdelta.stream()
                    .map(t -> Pattern.quote(t.name().schema()) + "\\." + Pattern.quote(t.name().name()))
                    .collect(Collectors.joining(",")));
        }
        return p;
    }
}
