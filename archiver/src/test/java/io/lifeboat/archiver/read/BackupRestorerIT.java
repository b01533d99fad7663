package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.progress.Progress;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.FilesystemTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restores of real backups from a filesystem target: all of the backup arrives, or nothing does. */
class BackupRestorerIT {
    private static final BackupId ID = BackupId.parse("20261122T020000Z").orElseThrow();
    private static ArchivedDatabase source;
    private static Map<String, String> sourceContent;
    private static int databases;

    @TempDir
    Path dir;
    private FilesystemTarget target;
    private BackupStore store;
    private Path newCluster;

    @BeforeAll
    static void startSource() throws Exception {
        source = ArchivedDatabase.start();
        try (Connection connection = source.cluster().connect(ArchivedDatabase.DATABASE)) {
            sourceContent = ArchivedDatabase.contentOf(connection);
        }
    }

    @AfterAll
    static void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    @BeforeEach
    void createTarget() throws Exception {
        // The new cluster's directory lies under this one, which OS user postgres must be able to enter.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        target = new FilesystemTarget("fs:local", dir.resolve("store"), BandwidthLimit.unlimited());
        store = new BackupStore(target);
        source.archive(store, ID);
    }

    @AfterEach
    void stopNewCluster() {
        if (newCluster != null && Files.exists(newCluster.resolve("postmaster.pid"))) {
            ExternalCommand command = ExternalCommand.of(source.cluster().binDirectory().resolve("pg_ctl").toString(),
                    "-D", newCluster.toString(), "-m", "immediate", "-w", "-t", "30", "stop")
                    .timeout(Duration.ofSeconds(60)).in(Path.of("/"));
            if (OsUser.isRoot()) {
                command.asUser("postgres");
            }
            command.runAllowingFailure();
        }
    }

    private StoredBackup backup() {
        return store.find(Optional.of(ID.toString()));
    }

    private String emptyDatabase() {
        String name = "restored_" + ++databases;
        source.cluster().createDatabase(name);
        return name;
    }

    private String connection(String database) {
        return "host=127.0.0.1 port=" + source.cluster().port() + " user=postgres dbname=" + database;
    }

    private RestoreResult restoreInto(RestoreDestination destination, Progress.Start progress) {
        return new BackupRestorer(store, List.of(), progress).restore(backup(), destination,
                source.encryption().secretKeyRing(), source.encryption().passphrase(), dir.resolve("work"));
    }

    private void flipByte(String key, int at) throws Exception {
        Path file = dir.resolve("store").resolve(key);
        byte[] bytes = Files.readAllBytes(file);
        bytes[at] ^= 0x01;
        Files.write(file, bytes);
    }

    /** As the operator does: the superuser's password from the file the restore wrote (a libpq passfile line). */
    private static Connection connect(RestoreDestination.NewCluster cluster, String database) throws Exception {
        String line = Files.readString(BackupRestorer.passwordFile(cluster)).strip();
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("password", line.substring(line.lastIndexOf(':') + 1));
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/" + database,
                properties);
    }

    @Test
    void verifiedBackup_restoresIntoANewClusterWithTheSourcesContent() throws Exception {
        BackupVerifier verifier = new BackupVerifier(store, Clock.systemUTC());
        assertThat(verifier.verify(backup(), Optional.of(source.signing().publicKeyRing())).problems()).isEmpty();
        assertThat(verifier.verifyContent(backup(), Optional.of(source.signing().publicKeyRing()),
                source.encryption().secretKeyRing(), source.encryption().passphrase(), dir.resolve("work")).problems())
                .isEmpty();
        newCluster = dir.resolve("restored");
        int port = ArchivedDatabase.freePort();
        // Off a terminal, a line every 10 s: a clock 10 s further on at each reading makes every step one.
        List<String> lines = new CopyOnWriteArrayList<>();
        AtomicLong clock = new AtomicLong();
        Progress.Start progress = (task, unit, max) -> Progress.logging(task, unit, max,
                () -> clock.addAndGet(10_000_000_000L), lines::add);

        RestoreDestination.NewCluster cluster = new RestoreDestination.NewCluster(newCluster, port);
        RestoreResult result = restoreInto(cluster, progress);

        assertThat(result.plaintextBytes()).isEqualTo(backup().manifest().orElseThrow().plaintextSize());
        Path passwordFile = dir.resolve("restored.password");
        assertThat(result.destination()).isEqualTo("new cluster at " + newCluster + " on 127.0.0.1:" + port
                + ", database shop (superuser postgres, its password in " + passwordFile + ", readable only by you:"
                + " PGPASSFILE=" + passwordFile + " psql -h 127.0.0.1 -p " + port + " -U postgres)");
        assertThat(Files.getPosixFilePermissions(passwordFile)).isEqualTo(
                PosixFilePermissions.fromString("rw-------"));
        try (Connection restored = connect(cluster, ArchivedDatabase.DATABASE)) {
            assertThat(ArchivedDatabase.contentOf(restored)).isEqualTo(sourceContent);
        }
        assertThat(lines).isNotEmpty().allMatch(line -> line.startsWith("restore 20261122T020000Z: "));
        String stored = DataSize.ofBytes(backup().manifest().orElseThrow().storedSize()).approximate();
        assertThat(lines).last().asString().matches("restore 20261122T020000Z: \\Q" + stored + " of " + stored
                + "\\E \\(100 %\\), [0-9.]+ [KMG]?i?B/s, ETA 0 s");
    }

    @Test
    void backup_restoresIntoAnExistingDatabaseWithTheSourcesContent() throws Exception {
        String database = emptyDatabase();

        RestoreResult result = restoreInto(new RestoreDestination.Database(connection(database)), Progress::start);

        assertThat(result.destination()).isEqualTo("database " + connection(database));
        try (Connection restored = source.cluster().connect(database)) {
            assertThat(ArchivedDatabase.contentOf(restored)).isEqualTo(sourceContent);
        }
    }

    @Test
    void aMissingChunk_stopsTheRestoreBeforeAnythingIsWritten() throws Exception {
        String database = emptyDatabase();
        target.delete(ID + "/chunk-00003");

        assertThatThrownBy(() -> restoreInto(new RestoreDestination.Database(connection(database)), Progress::start))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("chunk 20261122T020000Z/chunk-00003 on fs:local is missing");
        try (Connection restored = source.cluster().connect(database)) {
            assertThat(ArchivedDatabase.publicTables(restored)).isZero();
        }
    }

    @Test
    void aCorruptMiddleChunk_rollsTheRestoreBack() throws Exception {
        String database = emptyDatabase();
        flipByte(ID + "/chunk-00003", 4096);

        assertThatThrownBy(() -> restoreInto(new RestoreDestination.Database(connection(database)), Progress::start))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("chunk 20261122T020000Z/chunk-00003 on fs:local is corrupt (sha256 mismatch)");
        try (Connection restored = source.cluster().connect(database)) {
            assertThat(ArchivedDatabase.publicTables(restored)).isZero();
        }
    }

    @Test
    void aBackupWrittenBeforeRolesWereKept_restoresIntoANewClusterWithANote() throws Exception {
        // A format 2 manifest, as lifeboat wrote them before it kept the globals.
        String json = new String(ManifestCodec.encode(backup().manifest().orElseThrow()), StandardCharsets.UTF_8)
                .replace("\"formatVersion\" : 4", "\"formatVersion\" : 2").replaceAll("\"globals\" : null,\\s*", "")
                .replaceAll("\"masterTime\" : [^,]*,\\s*", "");
        store.publish(ID, json.getBytes(StandardCharsets.UTF_8), Optional.empty());
        assertThat(backup().manifest().orElseThrow().formatVersion()).isEqualTo(2);
        newCluster = dir.resolve("restored");
        RestoreDestination.NewCluster cluster = new RestoreDestination.NewCluster(newCluster,
                ArchivedDatabase.freePort());

        RestoreResult result = restoreInto(cluster, Progress::start);

        assertThat(result.roles()).contains("backup " + ID + " was written before lifeboat kept roles; roles and"
                + " memberships are not restored");
        try (Connection restored = connect(cluster, ArchivedDatabase.DATABASE)) {
            assertThat(ArchivedDatabase.contentOf(restored)).isEqualTo(sourceContent);
        }
    }

    @Test
    void aDumpThatDiffersFromTheManifest_isNeverCommitted() throws Exception {
        String database = emptyDatabase();
        BackupManifest good = backup().manifest().orElseThrow();
        BackupManifest wrong = new BackupManifest(good.formatVersion(), good.id(), good.startedAt(), good.finishedAt(),
                good.source(), good.masterLsn(), good.masterTime(), good.schemaFingerprint(), good.dumpFormat(), good.stages(),
                good.compressionLevel(),
                good.recipients(), good.chunks(), good.plaintextSize(), "0".repeat(64), good.globals(),
                good.lifeboatVersion());
        store.publish(ID, ManifestCodec.encode(wrong), Optional.empty());

        // Every chunk is intact and the whole dump decodes: only the held-back end keeps pg_restore from committing.
        assertThatThrownBy(() -> restoreInto(new RestoreDestination.Database(connection(database)), Progress::start))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("dump of backup 20261122T020000Z on fs:local does not match the manifest's sha256");
        try (Connection restored = source.cluster().connect(database)) {
            assertThat(ArchivedDatabase.publicTables(restored)).isZero();
        }
    }

    @Test
    void aCorruptMiddleChunk_removesTheNewClusterAgain() throws Exception {
        flipByte(ID + "/chunk-00003", 4096);
        newCluster = dir.resolve("restored");

        assertThatThrownBy(() -> restoreInto(new RestoreDestination.NewCluster(newCluster,
                ArchivedDatabase.freePort()), Progress::start))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("chunk 20261122T020000Z/chunk-00003 on fs:local is corrupt (sha256 mismatch)");
        assertThat(newCluster).doesNotExist();
    }

    @Test
    void aNonEmptyDirectory_isRefusedAsANewCluster() throws Exception {
        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(occupied.resolve("keep-me"), "data");

        assertThatThrownBy(() -> restoreInto(new RestoreDestination.NewCluster(occupied, 5433), Progress::start))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("restore destination " + occupied + " is not empty");
        assertThat(occupied.resolve("keep-me")).exists();
    }
}
