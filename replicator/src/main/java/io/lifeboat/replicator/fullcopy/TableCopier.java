package io.lifeboat.replicator.fullcopy;

import io.lifeboat.replicator.schema.Table;
import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;
import org.postgresql.copy.CopyOut;

/**
 * Copies one table's rows from master to standby with COPY, streamed chunk by chunk (never whole in memory).
 * Text format, as pg_dump uses: unlike binary it does not depend on type OIDs matching between the two servers
 * (enums, composites and arrays of them differ there). Both connections must be inside transactions the caller
 * owns: the master's reads the snapshot to copy, the standby's makes the replacement atomic.
 */
public final class TableCopier {
    private static final int RELAY_BUFFER = 1 << 16;
    /** Rows between two reports of progress: a report per row would cost more than the row. */
    private static final int REPORT_EVERY_ROWS = 1024;

    private TableCopier() {
    }

    /**
     * Replaces the standby's rows of {@code table} with the master's, loading into the table without its indexes
     * and building them after. Readers of the standby see the old rows until the caller commits, never an empty
     * table.
     *
     * <p>The rows are loaded frozen ({@code COPY FREEZE}, allowed because the table was truncated in this
     * transaction): a reader whose snapshot predates the commit then sees the new copy, where ordinary rows of
     * a truncated table would show it empty; and no vacuum has to freeze them later.
     *
     * @return the number of rows copied
     */
    public static long replace(Table table, Connection master, Connection standby) throws SQLException {
        return replace(table, master, standby, rows -> { });
    }

    /** As {@link #replace(Table, Connection, Connection)}, telling copied the rows copied as they go, in batches. */
    public static long replace(Table table, Connection master, Connection standby, LongConsumer copied)
            throws SQLException {
        ForeignKeys keys = foreignKeys(standby, table);
        if (keys.any()) {
            replicaRole(standby, table, keys);
        }
        try (Statement statement = standby.createStatement()) {
            if (keys.referencing().isEmpty()) {
                statement.execute("truncate only " + table.name().quoted());
            } else {
                // TRUNCATE refuses a table other tables' foreign keys point at (and CASCADE would empty those). The
                // rows are deleted instead, with the keys' triggers off as for every replicated change, under the
                // lock TRUNCATE would take: the applier must not change rows the copy is about to bring back.
                statement.execute("lock table only " + table.name().quoted() + " in access exclusive mode");
                statement.execute("delete from only " + table.name().quoted());
            }
        }
        DeferredIndexes indexes = DeferredIndexes.drop(standby, table.name());
        String columns = table.writableColumnList();
        // The table form reads the heap straight into COPY's output, without a query's executor in between; like
        // ONLY, it never includes child tables' rows. FREEZE needs the table truncated in this transaction.
        long rows = relay("copy " + table.name().quoted() + " (" + columns + ") to stdout", master,
                "copy " + table.name().quoted() + " (" + columns + ") from stdin"
                        + (keys.referencing().isEmpty() ? " with (freeze)" : ""), standby, copied);
        indexes.rebuild(standby);
        return rows;
    }

    /** The table's foreign keys on the standby: whether it has its own, and which other tables point at it. */
    private record ForeignKeys(boolean own, List<String> referencing) {
        boolean any() {
            return own || !referencing.isEmpty();
        }
    }

    private static ForeignKeys foreignKeys(Connection standby, Table table) throws SQLException {
        boolean own = false;
        List<String> referencing = new ArrayList<>();
        try (PreparedStatement query = standby.prepareStatement("""
                select c.conrelid = t.oid, c.conrelid::regclass::text
                from pg_constraint c, (select (quote_ident(?) || '.' || quote_ident(?))::regclass::oid as oid) t
                where c.contype = 'f' and (c.conrelid = t.oid or c.confrelid = t.oid)
                order by 2""")) {
            query.setString(1, table.name().schema());
            query.setString(2, table.name().name());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    if (rows.getBoolean(1)) {
                        own = true;
                    } else if (!referencing.contains(rows.getString(2))) {
                        referencing.add(rows.getString(2));
                    }
                }
            }
        }
        return new ForeignKeys(own, referencing);
    }

    /**
     * Foreign-key triggers off for this transaction, as the applier runs: loading a table whose keys point at
     * tables not copied yet (an initial sync goes in name order) must not be checked row by row, and emptying a
     * table others point at must neither check nor cascade. Without the right to, a table others point at is
     * refused; one that only has keys of its own is loaded with them checked.
     */
    private static void replicaRole(Connection standby, Table table, ForeignKeys keys) throws SQLException {
        Savepoint before = standby.setSavepoint();
        try (Statement statement = standby.createStatement()) {
            statement.execute("set local session_replication_role = replica");
            standby.releaseSavepoint(before);
        } catch (SQLException e) {
            standby.rollback(before);
            standby.releaseSavepoint(before);
            if (keys.referencing().isEmpty()) {
                return;
            }
            throw new LifeboatException("cannot copy " + table.name() + " again: foreign keys of "
                    + String.join(", ", keys.referencing()) + " point at it, and without session_replication_role ="
                    + " replica (" + e.getMessage().lines().findFirst().orElse("") + ") deleting its rows would"
                    + " check or cascade them", "connect to the standby as a superuser, or drop those foreign keys"
                    + " on the standby (the master enforces them)", e);
        }
    }

    /** Appends the master's rows of {@code table} matching {@code condition} (SQL on alias {@code t}). */
    public static long appendWhere(Table table, String condition, Connection master, Connection standby)
            throws SQLException {
        String columns = table.writableColumnList();
        return relay("copy (select " + columns + " from only " + table.name().quoted() + " t where " + condition
                + ") to stdout", master, "copy " + table.name().quoted() + " (" + columns + ") from stdin", standby,
                rows -> { });
    }

    /**
     * The planner's estimate of the table's rows on this server ({@code pg_class.reltuples}), for a progress total;
     * -1 when it has none (a table never vacuumed or analyzed).
     */
    public static long estimatedRows(Connection connection, Table table) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "select reltuples::bigint from pg_class where oid = (quote_ident(?) || '.' || quote_ident(?))::regclass")) {
            query.setString(1, table.name().schema());
            query.setString(2, table.name().name());
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Math.max(-1, rows.getLong(1)) : -1;
            }
        }
    }

    private static long relay(String copyOut, Connection master, String copyIn, Connection standby,
            LongConsumer copied) throws SQLException {
        CopyOut out = master.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOut);
        PGCopyOutputStream in;
        try {
            // Rows arrive one CopyData message each; buffered, they leave in 64 KiB messages, which the standby
            // takes in far fewer protocol steps.
            in = new PGCopyOutputStream(standby.unwrap(PGConnection.class), copyIn, RELAY_BUFFER);
        } catch (SQLException | RuntimeException e) {
            cancel(out, e);
            throw e;
        }
        try {
            byte[] row;
            int unreported = 0;
            while ((row = out.readFromCopy()) != null) {
                in.write(row);
                if (++unreported == REPORT_EVERY_ROWS) {
                    copied.accept(unreported);
                    unreported = 0;
                }
            }
            copied.accept(unreported);
            return in.endCopy();
        } catch (IOException e) {
            // The stream wraps the standby's own error; that is the one to report.
            SQLException failure = e.getCause() instanceof SQLException sql ? sql
                    : new SQLException("copy to the standby failed: " + e.getMessage(), e);
            cancel(out, failure);
            cancel(in, failure);
            throw failure;
        } catch (SQLException | RuntimeException e) {
            cancel(out, e);
            cancel(in, e);
            throw e;
        }
    }

    private static void cancel(org.postgresql.copy.CopyOperation copy, Exception failure) {
        try {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        } catch (SQLException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }
}
