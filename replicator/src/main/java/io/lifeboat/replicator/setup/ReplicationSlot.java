package io.lifeboat.replicator.setup;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.ConnectionFailure;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.ServerRole;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

/** The master's logical replication slot (pgoutput) that holds back WAL until the standby has applied it. */
public final class ReplicationSlot {
    private ReplicationSlot() {
    }

    /** The slot as the master reports it, or empty when there is none. */
    public static Optional<SlotState> state(Connection master, String slot) throws SQLException {
        try (PreparedStatement statement = master.prepareStatement("""
                select confirmed_flush_lsn::text, wal_status, active,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, plugin
                from pg_replication_slots where slot_name = ? and database = current_database()
                """)) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                String confirmed = row.getString(1);
                return Optional.of(new SlotState(slot, confirmed == null ? Lsn.ZERO : Lsn.parse(confirmed),
                        row.getString(2), row.getBoolean(3), row.getLong(4), row.getString(5)));
            }
        }
    }

    /**
     * Who streams from the slot right now, as the master sees the connection; empty when nobody does. Another
     * role's connection shows only its pid unless the configured user may read all statistics.
     */
    public static Optional<SlotUser> user(Connection master, String slot) throws SQLException {
        try (PreparedStatement statement = master.prepareStatement("""
                select s.active_pid, host(r.client_addr), r.application_name,
                       to_char(r.backend_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                from pg_replication_slots s left join pg_stat_replication r on r.pid = s.active_pid
                where s.slot_name = ? and s.active_pid is not null
                """)) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new SlotUser(row.getInt(1), Optional.ofNullable(row.getString(2)),
                        Optional.ofNullable(row.getString(3)).filter(name -> !name.isBlank()),
                        Optional.ofNullable(row.getString(4))));
            }
        }
    }

    /**
     * Creates the slot on a replication connection and exports the snapshot it starts from: copying the tables in
     * that snapshot and then streaming from the slot loses and doubles nothing. The snapshot stays importable
     * only while the returned connection is open and idle.
     */
    public static ExportedSnapshot createExportingSnapshot(ConnectionConfig master, String slot) throws SQLException {
        Connection replication = openReplicationConnection(master);
        try (Statement statement = replication.createStatement();
             ResultSet row = statement.executeQuery(
                     "CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            row.next();
            return new ExportedSnapshot(replication, Lsn.parse(row.getString("consistent_point")),
                    row.getString("snapshot_name"));
        } catch (SQLException | RuntimeException e) {
            replication.close();
            throw e;
        }
    }

    public static void drop(Connection master, String slot) throws SQLException {
        try (PreparedStatement statement = master.prepareStatement(
                "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ?")) {
            statement.setString(1, slot);
            statement.execute();
        }
    }

    private static Connection openReplicationConnection(ConnectionConfig master) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", master.user());
        master.password().ifPresent(secret -> properties.setProperty("password", secret.reveal()));
        properties.setProperty("sslmode", master.sslmode().configValue());
        properties.setProperty("connectTimeout", Long.toString(Math.max(1, master.connectTimeout().toSeconds())));
        properties.setProperty("ApplicationName", "lifeboat-slot-setup");
        properties.setProperty("replication", "database");
        properties.setProperty("preferQueryMode", "simple");
        properties.setProperty("assumeMinServerVersion", "9.4");
        try {
            return DriverManager.getConnection(
                    "jdbc:postgresql://" + master.host() + ":" + master.port() + "/" + master.database(), properties);
        } catch (SQLException e) {
            throw ConnectionFailure.describe(ServerRole.MASTER, master, e);
        }
    }

    /**
     * @param retainedWalBytes WAL the master keeps for this slot (from its restart point to the current position)
     * @param walStatus {@code reserved}, {@code extended}, {@code unreserved} or {@code lost}
     */
    public record SlotState(String name, Lsn confirmedFlush, String walStatus, boolean active, long retainedWalBytes,
                            String plugin) {
        public boolean lost() {
            return "lost".equals(walStatus);
        }
    }

    /**
     * The walsender streaming from a slot.
     *
     * @param pid the walsender's process id on the master
     * @param clientAddress where its client connects from; empty for a unix socket or when not visible
     */
    public record SlotUser(int pid, Optional<String> clientAddress, Optional<String> application,
                           Optional<String> since) {
        /** {@code walsender pid 5678 for 10.0.0.7 (application x), since 2026-11-22T02:57:20Z} */
        @Override
        public String toString() {
            return "walsender pid " + pid + clientAddress.map(a -> " for " + a).orElse("")
                    + application.map(a -> " (application " + a + ")").orElse("")
                    + since.map(s -> ", since " + s).orElse("");
        }
    }

    /** A new slot's start point and the snapshot that matches it; close once every copy has imported it. */
    public record ExportedSnapshot(Connection replicationConnection, Lsn consistentPoint, String snapshotName)
            implements AutoCloseable {
        @Override
        public void close() throws SQLException {
            replicationConnection.close();
        }
    }
}
