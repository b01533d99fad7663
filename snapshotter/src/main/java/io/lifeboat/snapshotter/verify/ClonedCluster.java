package io.lifeboat.snapshotter.verify;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.server.AmcheckReport;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.core.server.ServerStartException;
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
import java.util.Map;

/**
 * A PostgreSQL data directory made from a writable copy of a snapshot: the backup label and the saved WAL put in,
 * recovery set to stop at the end of the backup (the snapshot's stop LSN) and promote.
 */
public final class ClonedCluster {
    private static final Duration START_LIMIT = Duration.ofMinutes(10);
    private static final Duration PROMOTE_LIMIT = Duration.ofMinutes(2);
    private static final Duration AMCHECK_LIMIT = Duration.ofHours(6);
    static final String SETTINGS_MARK = "# added by lifeboat snapshot restore";

    private final PostgresServer server;
    private final int port;

    private ClonedCluster(PostgresServer server, int port) {
        this.server = server;
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
            return new ClonedCluster(PostgresServer.at(data), port);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CorruptSnapshotException("a file of the snapshot is missing: " + e.getFile());
        } catch (IOException e) {
            throw new LifeboatException("cannot prepare the copy of snapshot " + snapshot.name() + " (" + e.getMessage()
                    + ")", e);
        }
    }

    public Path dataDirectory() {
        return server.dataDirectory();
    }

    public int port() {
        return port;
    }

    public String osUser() {
        return server.osUser();
    }

    /** The server on the copy, for checks beyond the ones here. */
    public PostgresServer server() {
        return server;
    }

    public Path logFile() {
        return server.logFile();
    }

    /** Starts the server and waits until recovery has reached the snapshot's stop point and promoted. */
    public void start() {
        try {
            server.start(Map.of(), START_LIMIT);
        } catch (ServerStartException e) {
            throw new LifeboatException("PostgreSQL did not start on the copy: " + e.reason());
        }
        try {
            server.awaitWritable(PROMOTE_LIMIT);
        } catch (LifeboatException e) {
            throw new LifeboatException("the copy did not finish recovery within " + PROMOTE_LIMIT.toSeconds() + " s: "
                    + server.lastLogLines(2));
        }
    }

    /** One query through psql on the socket, as the data directory's owner. */
    public String query(String sql) {
        return query("postgres", sql);
    }

    public String query(String database, String sql) {
        return server.query(database, sql);
    }

    /** {@code pg_amcheck --all --heapallindexed} of every database on the copy. */
    public AmcheckReport amcheck() {
        return server.amcheck(AMCHECK_LIMIT);
    }

    public void stop() {
        try {
            server.stop(Duration.ofSeconds(60));
        } catch (LifeboatException e) {
            server.stopImmediately();
        }
    }

    public String lastLogLines(int count) {
        return server.lastLogLines(count);
    }

}
