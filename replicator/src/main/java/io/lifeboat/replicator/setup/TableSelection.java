package io.lifeboat.replicator.setup;

import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.schema.Table;
import java.util.ArrayList;
import java.util.List;

/**
 * Which master tables are replicated, and how. A table without a primary key is always {@code fullcopy}: it is kept
 * out of the publication, because a published table without a replica identity makes UPDATE and DELETE fail on
 * the master, and Lifeboat must never make a write on the master fail.
 */
public record TableSelection(List<Table> pushdelta, List<Table> fullcopy) {
    public static TableSelection of(List<Table> masterTables, ReplicationConfig config) {
        List<Table> pushdelta = new ArrayList<>();
        List<Table> fullcopy = new ArrayList<>();
        for (Table table : masterTables) {
            String schema = table.name().schema();
            String name = table.name().name();
            if (!config.included(schema, name)) {
                continue;
            }
            if (table.hasPrimaryKey() && !config.forcedFullcopy(schema, name)) {
                pushdelta.add(table);
            } else {
                fullcopy.add(table);
            }
        }
        return new TableSelection(List.copyOf(pushdelta), List.copyOf(fullcopy));
    }

    /** The same selection with Lifeboat's heartbeat table streamed too. */
    public TableSelection withHeartbeat() {
        List<Table> streamed = new ArrayList<>(pushdelta);
        streamed.add(Heartbeat.TABLE);
        return new TableSelection(List.copyOf(streamed), fullcopy);
    }

    public List<Table> all() {
        List<Table> all = new ArrayList<>(pushdelta);
        all.addAll(fullcopy);
        return all;
    }
}
