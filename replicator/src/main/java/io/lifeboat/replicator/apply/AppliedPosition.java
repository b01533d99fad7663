package io.lifeboat.replicator.apply;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The master position the standby holds, per slot, in {@code lifeboat.applied_position}. It is written in the
 * same standby transaction as the rows it describes, so after any crash it says exactly what is there.
 */
public final class AppliedPosition {
    private AppliedPosition() {
    }

    public static Optional<Lsn> read(Connection standby, String slot) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement(
                "select lsn::text from lifeboat.applied_position where slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(Lsn.parse(row.getString(1))) : Optional.empty();
            }
        }
    }

    /**
     * Records {@code lsn} inside the caller's transaction. It never moves backwards: an attempt means two
     * replicators share a slot or a bug, and the caller's transaction must not commit.
     */
    public static void advance(Connection standby, String slot, Lsn lsn, long transactionId) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement("""
                insert into lifeboat.applied_position as p (slot_name, lsn, transaction_id, applied_at)
                values (?, ?::pg_lsn, ?, now())
                on conflict (slot_name) do update
                    set lsn = excluded.lsn, transaction_id = excluded.transaction_id, applied_at = now()
                    where p.lsn <= excluded.lsn
                """)) {
            statement.setString(1, slot);
            statement.setString(2, lsn.toString());
            statement.setLong(3, transactionId);
            if (statement.executeUpdate() != 1) {
                throw new LifeboatException("applied position of slot " + slot + " would move backwards to " + lsn,
                        "is another lifeboat replicating with the same slot into this standby?", null);
            }
        }
    }

    /** Starts over (a new slot): the only way the position may go back. */
    public static void reset(Connection standby, String slot, Lsn lsn) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement("""
                insert into lifeboat.applied_position (slot_name, lsn, transaction_id, applied_at)
                values (?, ?::pg_lsn, null, now())
                on conflict (slot_name) do update set lsn = excluded.lsn, transaction_id = null, applied_at = now()
                """)) {
            statement.setString(1, slot);
            statement.setString(2, lsn.toString());
            statement.executeUpdate();
        }
    }
}
