package io.lifeboat.replicator.setup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;

/**
 * The master's current WAL position and clock, and where its slot holds WAL from, copied straight into the
 * standby's catalog (not through replication, so it stays current while the standby lags). Once the master is gone
 * this is the newest master position Lifeboat knows of: each recovery source's data loss is measured against it,
 * and {@code status} reads replication lag in bytes and the slot's retained WAL from it.
 */
public final class MasterPosition {
    private MasterPosition() {
    }

    /** Reads the master's position and records it in the standby's catalog under {@code slot}. */
    public static void record(Connection master, Connection standby, String slot) throws SQLException {
        String lsn;
        Timestamp seenAt;
        String restart;
        try (PreparedStatement read = master.prepareStatement("SELECT pg_current_wal_lsn()::text, now(),"
                + " (SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = ?)")) {
            read.setString(1, slot);
            try (ResultSet row = read.executeQuery()) {
                row.next();
                lsn = row.getString(1);
                seenAt = row.getTimestamp(2);
                restart = row.getString(3);
            }
        }
        try (PreparedStatement write = standby.prepareStatement("INSERT INTO lifeboat.master_position"
                + " (slot_name, lsn, seen_at, slot_restart_lsn) VALUES (?, ?::pg_lsn, ?, ?::pg_lsn)"
                + " ON CONFLICT (slot_name) DO UPDATE SET lsn = excluded.lsn, seen_at = excluded.seen_at,"
                + " slot_restart_lsn = excluded.slot_restart_lsn")) {
            write.setString(1, slot);
            write.setString(2, lsn);
            write.setTimestamp(3, seenAt);
            write.setString(4, restart);
            write.executeUpdate();
        }
    }
}
