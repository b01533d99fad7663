package io.lifeboat.archiver.dump;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.SchemaFingerprint;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.process.PostgresPrograms;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * {@code pg_dump} of the standby inside a snapshot exported by a held repeatable-read transaction. In that same
 * snapshot the master LSN the standby had applied is read, so the dump holds exactly that master point.
 */
public final class StandbyDump implements AutoCloseable {
    private static final int STDERR_TAIL_BYTES = 8192;

    private final Connection snapshotHolder;
    private final Process process;
    private final Thread stderrDrain;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final BackupManifest.Source source;
    private final String masterLsn;
    private final Optional<Instant> masterTime;
    private final SchemaFingerprint schema;

    private StandbyDump(Connection snapshotHolder, Process process, BackupManifest.Source source, String masterLsn,
            Optional<Instant> masterTime, SchemaFingerprint schema) {
        this.snapshotHolder = snapshotHolder;
        this.process = process;
        this.source = source;
        this.masterLsn = masterLsn;
        this.masterTime = masterTime;
        this.schema = schema;
        this.stderrDrain = new Thread(this::drainStderr, "pg_dump-stderr");
        this.stderrDrain.setDaemon(true);
        this.stderrDrain.start();
    }

    /** Exports a snapshot on the standby and starts pg_dump in it; the dump is read from {@link #output()}. */
    public static StandbyDump start(DataSource standby, ConnectionConfig server, String slot) {
        Connection connection = null;
        try {
            connection = standby.getConnection();
            connection.setAutoCommit(false);
            connection.createStatement().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            String snapshot;
            BackupManifest.Source source;
            int major;
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_export_snapshot(),"
                    + " (SELECT system_identifier::text FROM pg_control_system()), current_database(),"
                    + " current_setting('server_version'), current_setting('server_version_num')::int / 10000,"
                    + " to_regclass('lifeboat.applied_position') IS NOT NULL")) {
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    snapshot = rs.getString(1);
                    source = new BackupManifest.Source(rs.getString(2), rs.getString(3), rs.getString(4));
                    major = rs.getInt(5);
                    if (!rs.getBoolean(6)) {
                        throw new LifeboatException("the standby has no lifeboat catalog, so the master point of the"
                                + " dump is unknown", "run: lifeboat catalog migrate, then lifeboat sync run", null);
                    }
                }
            }
            Optional<Instant> masterTime = lastHeartbeat(connection);
            String lsn = appliedLsn(connection, slot).orElseThrow(() -> new LifeboatException("the standby has not"
                    + " applied anything from slot " + slot + " yet, so the master point of the dump is unknown",
                    "run lifeboat sync run first", null));
            // In the exported snapshot: the fingerprint describes exactly the schema pg_dump writes.
            SchemaFingerprint schema = SchemaFingerprint.of(connection);
            Process process = startPgDump(server, major, snapshot);
            return new StandbyDump(connection, process, source, lsn, masterTime, schema);
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new LifeboatException("cannot export a snapshot on the standby (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /**
     * The master's clock at its newest heartbeat in the snapshot: when the master was where the dump is. The standby
     * can trail the master by any amount (it was down, a table was being copied), so the dump's own start time would
     * overstate how recent its data is.
     */
    private static Optional<Instant> lastHeartbeat(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT to_regclass('lifeboat.heartbeat') IS NOT NULL");
             ResultSet rs = statement.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT max(beat_at) FROM lifeboat.heartbeat");
             ResultSet rs = statement.executeQuery()) {
            rs.next();
            return Optional.ofNullable(rs.getObject(1, java.time.OffsetDateTime.class)).map(java.time.OffsetDateTime::toInstant);
        }
    }

    private static Optional<String> appliedLsn(Connection connection, String slot) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT lsn::text FROM lifeboat.applied_position WHERE slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static Process startPgDump(ConnectionConfig server, int major, String snapshot) {
        List<String> argv = new ArrayList<>(List.of(PostgresPrograms.forMajor(major).program("pg_dump").toString(),
                "--format=custom", "--compress=0", "--snapshot=" + snapshot, "--no-password",
                // Lifeboat's catalog on the standby is replication state, not the application's data: a restored
                // database must not look like a standby at a stale position (the manifest keeps the master LSN).
                "--exclude-schema=lifeboat",
                "--host=" + server.host(), "--port=" + server.port(), "--username=" + server.user(),
                "--dbname=" + server.database()));
        ProcessBuilder builder = new ProcessBuilder(argv);
        // The password travels in the child's environment, never in its argv.
        server.password().ifPresent(secret -> builder.environment().put("PGPASSWORD", secret.reveal()));
        builder.environment().put("PGSSLMODE", server.sslmode().configValue());
        builder.environment().put("PGCONNECT_TIMEOUT", Long.toString(Math.max(1, server.connectTimeout().toSeconds())));
        builder.environment().put("PGAPPNAME", "lifeboat-archive");
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return process;
        } catch (IOException e) {
            throw new LifeboatException("cannot run pg_dump (" + e.getMessage() + ")", e);
        }
    }

    public InputStream output() {
        return process.getInputStream();
    }

    public BackupManifest.Source source() {
        return source;
    }

    public String masterLsn() {
        return masterLsn;
    }

    /** The master's clock at {@link #masterLsn()} (its last heartbeat there); empty when the standby holds none. */
    public Optional<Instant> masterTime() {
        return masterTime;
    }

    public SchemaFingerprint schema() {
        return schema;
    }

    /** EOF is not success: pg_dump must exit 0. */
    public void awaitSuccess() {
        try {
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new LifeboatException("pg_dump did not exit after its output ended");
            }
            stderrDrain.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new LifeboatException("interrupted while waiting for pg_dump");
        }
        if (process.exitValue() != 0) {
            throw new LifeboatException("pg_dump failed (exit " + process.exitValue() + ")" + lastLine());
        }
    }

    /** The failure pg_dump reported, if it died: what a broken pipe upstream should be explained by. */
    public Optional<String> failure() {
        if (process.isAlive()) {
            return Optional.empty();
        }
        return process.exitValue() == 0 ? Optional.empty()
                : Optional.of("pg_dump failed (exit " + process.exitValue() + ")" + lastLine());
    }

    private String lastLine() {
        String text;
        synchronized (stderr) {
            text = stderr.toString(StandardCharsets.UTF_8).strip();
        }
        if (text.isEmpty()) {
            return "";
        }
        return ": " + text.substring(text.lastIndexOf('\n') + 1).strip();
    }

    private void drainStderr() {
        byte[] buffer = new byte[4096];
        try (InputStream in = process.getErrorStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (stderr) {
                    if (stderr.size() > STDERR_TAIL_BYTES) {
                        byte[] tail = stderr.toByteArray();
                        stderr.reset();
                        stderr.write(tail, tail.length - STDERR_TAIL_BYTES / 2, STDERR_TAIL_BYTES / 2);
                    }
                    stderr.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // The process is gone; what was read is what there is.
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        closeQuietly(snapshotHolder);
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.rollback();
        } catch (SQLException e) {
            // Closing ends the transaction anyway.
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // Nothing more to release.
        }
    }
}
