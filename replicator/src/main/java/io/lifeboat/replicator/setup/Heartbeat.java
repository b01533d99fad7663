package io.lifeboat.replicator.setup;

import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A one-row table in Lifeboat's schema on the master, updated every second and replicated like any table: its age
 * on the standby is the end-to-end lag, and its traffic keeps the slot moving when the application is idle.
 */
public final class Heartbeat {
    public static final Table TABLE = new Table(new TableName("lifeboat", "heartbeat"),
            List.of(new Column("id", "integer", false), new Column("beat_at", "timestamp with time zone", false)),
            List.of("id"));

    private Heartbeat() {
    }

    public static void ensure(Connection master) throws SQLException {
        try (Statement statement = master.createStatement()) {
            statement.execute("create schema if not exists lifeboat");
            statement.execute("create table if not exists lifeboat.heartbeat"
                    + " (id int primary key check (id = 1), beat_at timestamptz not null)");
        }
    }

    public static void beat(Connection master) throws SQLException {
        try (Statement statement = master.createStatement()) {
            statement.execute("insert into lifeboat.heartbeat values (1, now())"
                    + " on conflict (id) do update set beat_at = excluded.beat_at");
        }
    }
}
