package io.lifeboat.archiver.job;

import io.lifeboat.core.error.LifeboatException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * One {@code archive run} at a time per standby database: a session-level advisory lock held on a connection of its
 * own for the whole run. A run that dies in any way (even {@code kill -9}) loses its connection and with it the lock,
 * so there is nothing to clean up and nothing that can stay stuck. The holder labels its session (pid and host), so
 * a refused run can name the one that is running.
 */
final class ArchiveLock implements AutoCloseable {
    // pg_try_advisory_lock(int, int): Lifeboat's key space ("LBOT"), then the lock within it.
    private static final int NAMESPACE = 0x4c424f54;
    private static final int ARCHIVE_RUN = 1;

    private final Connection connection;

    private ArchiveLock(Connection connection) {
        this.connection = connection;
    }

    /** Takes the lock, or refuses with one line naming the run that holds it. */
    static ArchiveLock acquire(DataSource standby) {
        Connection connection = null;
        try {
            connection = standby.getConnection();
            connection.setAutoCommit(true);
            try (PreparedStatement label = connection.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                label.setString(1, holder());
                label.execute();
            }
            boolean locked;
            try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
                lock.setInt(1, NAMESPACE);
                lock.setInt(2, ARCHIVE_RUN);
                try (ResultSet rs = lock.executeQuery()) {
                    rs.next();
                    locked = rs.getBoolean(1);
                }
            }
            if (!locked) {
                String running = runningOne(connection);
                throw new LifeboatException("another archive run is in progress on this standby: " + running,
                        "wait for it to finish; a run that died has already released its lock", null);
            }
            return new ArchiveLock(connection);
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new LifeboatException("cannot take the archive lock on the standby (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /** The label every holder gives its session: {@code lifeboat archive run (pid 4711 on backup-host)}. */
    static String holder() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "an unknown host";
        }
        return "lifeboat archive run (pid " + ProcessHandle.current().pid() + " on " + host + ")";
    }

    private static String runningOne(Connection connection) throws SQLException {
        try (PreparedStatement holder = connection.prepareStatement("SELECT a.application_name, a.backend_start,"
                + " a.client_addr::text, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ?::oid AND l.objid = ?::oid"
                + " AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
            holder.setLong(1, Integer.toUnsignedLong(NAMESPACE));
            holder.setLong(2, ARCHIVE_RUN);
            try (ResultSet rs = holder.executeQuery()) {
                if (!rs.next()) {
                    return "it has just finished; try again"; // released between the try and this look
                }
                String name = rs.getString(1);
                String from = rs.getString(3) == null ? "a local socket" : rs.getString(3);
                return (name == null || name.isBlank() ? "a session" : name) + ", connected from " + from + " since "
                        + rs.getTimestamp(2).toInstant() + " (standby backend " + rs.getInt(4) + ")";
            }
        }
    }

    @Override
    public void close() {
        // The connection goes back to the pool: it must leave without the lock and without the label.
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_unlock(" + NAMESPACE + ", " + ARCHIVE_RUN + ")");
            statement.execute("RESET application_name");
        } catch (SQLException e) {
            // A connection that cannot unlock is broken: the pool drops it, and the session's end releases the lock.
        } finally {
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Nothing more can be done for a connection that will not close.
            }
        }
    }
}
