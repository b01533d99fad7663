package io.lifeboat.snapshotter.verify;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.storage.PrivateFiles;
import io.lifeboat.snapshotter.cycle.SnapshotMetadata;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A PostgreSQL data directory made from a writable copy of a snapshot: the backup label and the saved WAL put in,
 * recovery set to stop at the end of the backup (the snapshot's stop LSN) and promote.
 */
public final class ClonedCluster {
    private static final Duration START_LIMIT = Duration.ofMinutes(10);
    private static final Duration PROMOTE_LIMIT = Duration.ofMinutes(2);
    static final String SETTINGS_MARK = "# added by lifeboat snapshot restore";

    private final Path dataDirectory;
    private final PostgresPrograms programs;
    private final String osUser;
    private final Path socketDirectory;
    private final int port;

    private ClonedCluster(Path dataDirectory, PostgresPrograms programs, String osUser, Path socketDirectory, int port) {
        this.dataDirectory = dataDirectory;
        this.programs = programs;
        this.osUser = osUser;
        this.socketDirectory = socketDirectory;
        this.port = port;
    }

    /**
     * Prepares the data directory inside {@code volumeRoot}. {@code extraSettings} go into postgresql.auto.conf after
     * Lifeboat's recovery settings.
     */
    public static ClonedCluster prepare(StoredSnapshot snapshot, Path volumeRoot, int port, Path socketDirectory,
            List<String> extraSettings) {
        SnapshotMetadata metadata = snapshot.metadata().orElseThrow();
        Path data = volumeRoot.resolve(metadata.dataRelative());
        if (!Files.isRegularFile(data.resolve("PG_VERSION"))) {
            throw new CorruptSnapshotException("no PostgreSQL data directory at " + metadata.dataRelative());
        }
        try {
            UserPrincipal owner = Files.getOwner(data);
            Files.deleteIfExists(data.resolve("postmaster.pid"));
            Files.deleteIfExists(data.resolve("postmaster.opts"));
            Path pgWal = data.resolve("pg_wal");
            PrivateFiles.createDirectories(pgWal);
            for (String segment : metadata.walSegments()) {
                PrivateFiles.copy(snapshot.walDirectory().resolve(segment), pgWal.resolve(segment));
            }
            PrivateFiles.copy(snapshot.backupLabel(), data.resolve("backup_label"));
            if (Files.exists(snapshot.tablespaceMap())) {
                PrivateFiles.copy(snapshot.tablespaceMap(), data.resolve("tablespace_map"));
            }
            PrivateFiles.writeString(data.resolve("recovery.signal"), "");
            List<String> settings = new ArrayList<>(List.of(
                    "",
                    SETTINGS_MARK,
                    "port = " + port,
                    // Recovery reads the saved WAL from pg_wal; a restore_command is required but must find nothing.
                    "restore_command = 'false'",
                    "recovery_target = 'immediate'",
                    "recovery_target_action = 'promote'",
                    "archive_mode = 'off'"));
            if (socketDirectory != null) {
                settings.add("unix_socket_directories = '" + socketDirectory + "'");
            }
            settings.addAll(extraSettings);
            Files.write(data.resolve("postgresql.auto.conf"), settings, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ExternalCommand.of("chown", "-R", owner.getName() + ":", data.toString()).timeout(Duration.ofMinutes(10))
                    .run();
            // The copy's root keeps the master volume's mode (often 0755): only the server's user may enter it.
            if (!Files.getOwner(volumeRoot).equals(owner)) {
                Files.setOwner(volumeRoot, owner);
            }
            PrivateFiles.restrict(volumeRoot);
            PostgresPrograms programs = PostgresPrograms.forMajor(Integer.parseInt(
                    Files.readString(data.resolve("PG_VERSION")).strip()));
            Path sockets = socketDirectory != null ? socketDirectory
                    : configuredSocketDirectory(programs, data, owner.getName());
            return new ClonedCluster(data, programs, owner.getName(), sockets, port);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CorruptSnapshotException("a file of the snapshot is missing: " + e.getFile());
        } catch (IOException e) {
            throw new LifeboatException("cannot prepare the copy of snapshot " + snapshot.name() + " (" + e.getMessage()
                    + ")", e);
        }
    }

    /**
     * Without a socket directory of its own the copy keeps the master's setting, copied with its configuration:
     * the server says what that is ({@code postgres -C}), the first directory listed (not an abstract socket).
     */
    private static Path configuredSocketDirectory(PostgresPrograms programs, Path data, String osUser) {
        String value = ExternalCommand.of(programs.program("postgres").toString(), "-D", data.toString(), "-C",
                "unix_socket_directories").asUser(osUser).in(data).timeout(Duration.ofMinutes(1)).run().stdout();
        for (String entry : value.split(",")) {
            String directory = entry.strip().replace("\"", "");
            if (!directory.isEmpty() && !directory.startsWith("@")) {
                return Path.of(directory);
            }
        }
        throw new LifeboatException("the copy has no unix socket directory (unix_socket_directories is empty in the"
                + " master's configuration)", "give it one with --socket-dir DIR", null);
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Path socketDirectory() {
        return socketDirectory;
    }

    public PostgresPrograms programs() {
        return programs;
    }

    public int port() {
        return port;
    }

    public String osUser() {
        return osUser;
    }

    public Path logFile() {
        // Inside the data directory: the one place on the copy its owner can surely write.
        return dataDirectory.resolve("lifeboat-start.log");
    }

    /** Starts the server and waits until recovery has reached the snapshot's stop point and promoted. */
    public void start() {
        ExternalCommand.Result result = ExternalCommand.of(programs.program("pg_ctl").toString(), "-D",
                dataDirectory.toString(), "-l", logFile().toString(), "-w", "-t", Long.toString(START_LIMIT.toSeconds()),
                "start").asUser(osUser).timeout(START_LIMIT.plusSeconds(30)).runAllowingFailure();
        if (result.exitCode() != 0) {
            throw new LifeboatException("PostgreSQL did not start on the copy: " + lastLogLines(3));
        }
        long deadline = System.nanoTime() + PROMOTE_LIMIT.toNanos();
        while (!"f".equals(query("SELECT pg_is_in_recovery()").strip())) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("the copy did not finish recovery within " + PROMOTE_LIMIT.toSeconds() + " s: "
                        + lastLogLines(2));
            }
            pause();
        }
    }

    /** One query through psql on the socket, as the data directory's owner. */
    public String query(String sql) {
        return query("postgres", sql);
    }

    public String query(String database, String sql) {
        return ExternalCommand.of(programs.program("psql").toString(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", socketDirectory.toString(), "-p", Integer.toString(port), "-U", osUser, "-d", database,
                "-c", sql).asUser(osUser).timeout(Duration.ofMinutes(5)).run().stdout();
    }

    public ExternalCommand.Result amcheck() {
        return ExternalCommand.of(programs.program("pg_amcheck").toString(), "-h", socketDirectory.toString(),
                "-p", Integer.toString(port), "-U", osUser, "--all", "--install-missing")
                .asUser(osUser).timeout(Duration.ofHours(6)).runAllowingFailure();
    }

    public void stop() {
        ExternalCommand.of(programs.program("pg_ctl").toString(), "-D", dataDirectory.toString(), "-m", "fast", "-w",
                "-t", "60", "stop").asUser(osUser).timeout(Duration.ofSeconds(90)).runAllowingFailure();
    }

    public String lastLogLines(int count) {
        try {
            List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size())).strip();
        } catch (IOException e) {
            return "(no server log at " + logFile() + ")";
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while waiting for the copy to recover");
        }
    }
}
