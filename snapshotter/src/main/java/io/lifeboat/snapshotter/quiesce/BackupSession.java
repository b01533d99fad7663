package io.lifeboat.snapshotter.quiesce;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.PrivateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-exclusive backup on one master session held open for the whole snapshot. Backup mode belongs to the session:
 * if this process dies, the server sees the connection close and ends backup mode by itself.
 */
public final class BackupSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupSession.class);

    private final DataSource master;
    private final Connection connection;
    private final int backendPid;
    private final AtomicBoolean aborted = new AtomicBoolean();
    private Lsn startLsn;
    private boolean inBackup;

    private BackupSession(DataSource master, Connection connection, int backendPid) {
        this.master = master;
        this.connection = connection;
        this.backendPid = backendPid;
    }

    public static BackupSession open(DataSource master) {
        try {
            Connection connection = master.getConnection();
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return new BackupSession(master, connection, rs.getInt(1));
            }
        } catch (SQLException e) {
            throw new LifeboatException("cannot open the backup session on the master (" + e.getMessage() + ")", e);
        }
    }

    public MasterFacts facts() {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT (SELECT system_identifier::text FROM pg_control_system()),"
                     + " current_setting('server_version'), current_setting('server_version_num')::int,"
                     + " current_setting('data_directory'), (SELECT timeline_id FROM pg_control_checkpoint()),"
                     + " (SELECT rolsuper OR pg_has_role(rolname, 'pg_read_server_files', 'member') FROM pg_roles"
                     + "  WHERE rolname = current_user),"
                     + " has_function_privilege('pg_backup_start(text,boolean)', 'execute'),"
                     + " (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global'))")) {
            rs.next();
            if (!rs.getBoolean(6) || !rs.getBoolean(7)) {
                throw new LifeboatException("the master user may not take backups",
                        "connect as a superuser, or GRANT EXECUTE ON FUNCTION pg_backup_start, pg_backup_stop and"
                                + " GRANT pg_read_server_files to it", null);
            }
            if (rs.getLong(8) > 0) {
                throw new LifeboatException("the master has tablespaces outside its data directory, which a volume"
                        + " snapshot does not hold", "move them into pg_default, or archive with lifeboat archive", null);
            }
            return new MasterFacts(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getInt(5));
        } catch (SQLException e) {
            throw new LifeboatException("cannot read the master's settings (" + e.getMessage() + ")", e);
        }
    }

    /** {@code pg_backup_start} with a fast checkpoint. */
    public Lsn begin(String label) {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_backup_start(?, true)::text")) {
            statement.setString(1, label);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                startLsn = Lsn.parse(rs.getString(1));
                inBackup = true;
                return startLsn;
            }
        } catch (SQLException e) {
            throw failure("cannot start backup mode on the master", e);
        }
    }

    /** {@code pg_backup_stop} without waiting for WAL archiving: the WAL is saved with the snapshot instead. */
    public BackupStop end() {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)")) {
            rs.next();
            inBackup = false;
            return new BackupStop(Lsn.parse(rs.getString(1)), rs.getString(2), rs.getString(3));
        } catch (SQLException e) {
            throw failure("cannot end backup mode on the master", e);
        }
    }

    /**
     * Copies the WAL segments from the backup's start to its stop into {@code directory}, read through the server, so
     * the snapshot restores to a consistent point however the volume was copied. The stop switched segments, so
     * they are complete on disk.
     */
    public List<String> saveWal(Lsn stop, Path directory) {
        List<String> saved = new ArrayList<>();
        try {
            PrivateFiles.createDirectories(directory);
            List<String> names = new ArrayList<>();
            try (PreparedStatement list = connection.prepareStatement("SELECT name FROM pg_ls_waldir()"
                    + " WHERE name BETWEEN pg_walfile_name(?::pg_lsn) AND pg_walfile_name(?::pg_lsn)"
                    + " AND name ~ '^[0-9A-F]{24}$' ORDER BY name")) {
                list.setString(1, startLsn.toString());
                list.setString(2, stop.toString());
                try (ResultSet rs = list.executeQuery()) {
                    while (rs.next()) {
                        names.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement read = connection.prepareStatement("SELECT pg_read_binary_file('pg_wal/' || ?)")) {
                for (String name : names) {
                    read.setString(1, name);
                    try (ResultSet rs = read.executeQuery()) {
                        rs.next();
                        PrivateFiles.write(directory.resolve(name), rs.getBytes(1));
                        saved.add(name);
                    }
                }
            }
            return saved;
        } catch (SQLException e) {
            throw failure("cannot read the backup's WAL from the master", e);
        } catch (IOException e) {
            throw new LifeboatException("cannot save the backup's WAL into " + directory + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Called by the watchdog from another thread: drops the session's socket, so the server ends backup mode, and
     * also terminates the backend in case the server is stuck on it.
     */
    public void abort() {
        if (!aborted.compareAndSet(false, true)) {
            return;
        }
        try {
            connection.abort(Runnable::run);
        } catch (SQLException e) {
            LOG.warn("backup session: cannot drop the connection ({})", e.getMessage());
        }
        try (Connection other = master.getConnection();
             PreparedStatement terminate = other.prepareStatement("SELECT pg_terminate_backend(?)")) {
            terminate.setInt(1, backendPid);
            terminate.execute();
        } catch (SQLException e) {
            LOG.warn("backup session: cannot terminate backend {} ({})", backendPid, e.getMessage());
        }
    }

    public boolean aborted() {
        return aborted.get();
    }

    public int backendPid() {
        return backendPid;
    }

    private LifeboatException failure(String what, SQLException e) {
        if (aborted.get()) {
            return new LifeboatException(what + ": the watchdog ended the backup session", e);
        }
        if (MasterStoppedException.isConnectionLost(e)) {
            return new MasterStoppedException(e);
        }
        return new LifeboatException(what + " (" + e.getMessage() + ")", e);
    }

    @Override
    public void close() {
        if (inBackup && !aborted.get()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT pg_backup_stop(false)");
            } catch (SQLException e) {
                LOG.warn("backup session: pg_backup_stop failed ({}); closing the session ends backup mode",
                        e.getMessage());
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("backup session: close failed", e);
        }
    }
}
