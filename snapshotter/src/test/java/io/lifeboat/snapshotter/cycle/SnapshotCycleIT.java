package io.lifeboat.snapshotter.cycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.SnapshotMaster;
import io.lifeboat.snapshotter.TickWriter;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.provider.SnapshotProviders;
import io.lifeboat.snapshotter.restore.SnapshotRestore;
import io.lifeboat.snapshotter.verify.ClonedCluster;
import io.lifeboat.snapshotter.verify.SnapshotVerifier;
import io.lifeboat.snapshotter.verify.VerificationLog;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.testkit.PrivacyProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("root")
class SnapshotCycleIT {
    private static SnapshotMaster master;

    @BeforeAll
    static void start() {
        master = new SnapshotMaster();
    }

    @AfterAll
    static void stop() {
        if (master != null) {
            master.close();
        }
    }

    private static SnapshotCycle cycle(SnapshotsConfig config, SnapshotStore store) {
        return new SnapshotCycle(config, SnapshotProviders.forConfig(config), store, master.dataSource,
                Clock.systemUTC());
    }

    @Test
    void takeUnderLoad_verifiesAndRestoresEveryTickCommittedBeforeTheSnapshot() throws Exception {
        SnapshotsConfig config = master.btrfs();
        SnapshotStore store = new SnapshotStore(config.directory());
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        Path restored = master.volume.mountPoint().resolve("restored");
        long before;
        long after;
        StoredSnapshot snapshot;
        try (TickWriter writer = new TickWriter(master.cluster)) {
            writer.awaitMore(200);
            awaitNextSecond(); // names are per second, and another test of this class may have just taken one
            before = writer.acknowledged();
            snapshot = cycle(config, store).take();
            after = writer.acknowledged();
            writer.awaitMore(200);
        }
        SnapshotMetadata metadata = snapshot.metadata().orElseThrow();
        assertThat(snapshot.name().complete()).matches("lifeboat-\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\dZ");
        assertThat(store.complete()).extracting(StoredSnapshot::storageName).contains(snapshot.name().complete());
        assertThat(Files.readString(snapshot.backupLabel())).contains("START WAL LOCATION: " + metadata.startLsn());
        assertThat(metadata.walSegments()).isNotEmpty();
        assertThat(metadata.stepMillis()).containsKeys("lock", "sync", "snapshot", "unlock", "wal");
        assertThat(metadata.writeBlockedMillis()).isZero();

        var verification = new SnapshotVerifier(provider, store, VerificationLog.NONE, Clock.systemUTC()).verify(snapshot);
        assertThat(verification.outcome()).as(verification.reason()).isEqualTo("verified");
        assertThat(store.find(Optional.of(snapshot.name().complete())).state()).isEqualTo("verified");
        try (var entries = Files.list(config.directory())) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList())
                    .as("the verification copy is gone").noneMatch(n -> n.startsWith(".verify"));
        }

        ClonedCluster cluster = new SnapshotRestore(provider).restore(store.find(Optional.empty()), restored,
                OptionalInt.of(freePort()), Optional.of(master.dataDirectory().getParent()));
        try {
            Properties user = new Properties();
            user.setProperty("user", "postgres");
            try (Connection connection = DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + cluster.port() + "/app", user)) {
                long[] ticks = TickWriter.minMaxCount(connection);
                assertThat(ticks[1]).as("every tick acknowledged before take() is there").isGreaterThanOrEqualTo(before);
                assertThat(ticks[1]).as("nothing from after take() returned").isLessThanOrEqualTo(after);
                assertThat(ticks[0]).isEqualTo(1);
                assertThat(ticks[2]).as("no tick missing in between").isEqualTo(ticks[1]);
                connection.createStatement().execute("INSERT INTO ticks (id) VALUES (-1)");
            }
        } finally {
            cluster.stop();
            provider.release(restored);
        }
    }

    @Test
    void snapshotAndItsCopies_areReadableByTheirOwnerOnly() throws Exception {
        SnapshotsConfig config = master.btrfs();
        SnapshotStore store = new SnapshotStore(config.directory());
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        awaitNextSecond();
        StoredSnapshot snapshot = cycle(config, store).take();
        var verification = new SnapshotVerifier(provider, store, VerificationLog.NONE, Clock.systemUTC()).verify(snapshot);
        assertThat(verification.outcome()).as(verification.reason()).isEqualTo("verified");

        Path directory = snapshot.directory();
        List<Path> written = new ArrayList<>(List.of(directory, directory.resolve("snapshot.json"),
                directory.resolve("verification.json"), snapshot.backupLabel(), snapshot.walDirectory()));
        List<String> segments = snapshot.metadata().orElseThrow().walSegments();
        segments.forEach(segment -> written.add(snapshot.walDirectory().resolve(segment)));
        assertThat(PrivacyProbe.exposed(written)).isEmpty();

        Path restored = master.volume.mountPoint().resolve("private-restore");
        ClonedCluster copy = new SnapshotRestore(provider).restore(store.find(Optional.of(snapshot.name().complete())),
                restored, OptionalInt.empty(), Optional.empty());
        try {
            List<Path> copied = new ArrayList<>(List.of(restored, copy.dataDirectory().resolve("backup_label"),
                    copy.dataDirectory().resolve("recovery.signal")));
            segments.forEach(segment -> copied.add(copy.dataDirectory().resolve("pg_wal").resolve(segment)));
            assertThat(PrivacyProbe.exposed(copied)).isEmpty();
        } finally {
            provider.release(restored);
        }
    }

    @Test
    void damagedRelationFile_isReportedCorrupt() throws Exception {
        SnapshotsConfig config = master.btrfs();
        SnapshotStore store = new SnapshotStore(config.directory());
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        master.cluster.execute("app", "CREATE TABLE IF NOT EXISTS victim AS SELECT g AS id, md5(g::text) AS v"
                + " FROM generate_series(1, 20000) g");
        String relation;
        try (Connection c = master.cluster.connect("app"); var st = c.createStatement();
             var rs = st.executeQuery("SELECT current_setting('data_directory') || '/' || pg_relation_filepath('victim')")) {
            rs.next();
            relation = rs.getString(1);
        }
        awaitNextSecond();
        StoredSnapshot snapshot = cycle(config, store).take();
        Path inSnapshot = snapshot.volumeCopy().resolve(Path.of(master.subvolume.toString())
                .relativize(Path.of(relation)).toString());
        ExternalCommand.of("btrfs", "property", "set", snapshot.volumeCopy().toString(), "ro", "false")
                .timeout(Duration.ofSeconds(30)).run();
        try (var file = new java.io.RandomAccessFile(inSnapshot.toFile(), "rw")) {
            file.seek(8192 * 3 + 100);
            file.write(new byte[512]);
        }
        ExternalCommand.of("btrfs", "property", "set", snapshot.volumeCopy().toString(), "ro", "true")
                .timeout(Duration.ofSeconds(30)).run();

        var verification = new SnapshotVerifier(provider, store, VerificationLog.NONE, Clock.systemUTC()).verify(snapshot);

        assertThat(verification.outcome()).isEqualTo("corrupt");
        assertThat(verification.reason()).startsWith("pg_amcheck found corruption");
        assertThat(store.find(Optional.of(snapshot.name().complete())).state()).isEqualTo("corrupt");
    }

    @Test
    void hungSnapshotCommand_isAbandonedAndTheMasterUnlockedWithinTheBound() throws Exception {
        SnapshotsConfig config = master.config(SnapshotsConfig.Kind.COMMAND, Duration.ofSeconds(3),
                new SnapshotsConfig.Commands(Optional.of("sleep 600"), Optional.empty(), Optional.empty()));
        SnapshotStore store = new SnapshotStore(master.volume.mountPoint().resolve("hung-snapshots"));
        awaitNextSecond();
        long began = System.nanoTime();
        assertThatThrownBy(() -> cycle(config, store).take()).isInstanceOf(LifeboatException.class)
                .hasMessageStartingWith("snapshot lifeboat-").hasMessageContaining(" abandoned: not done within snapshots.lock_timeout (3 s); the master is unlocked");
        long millis = (System.nanoTime() - began) / 1_000_000;
        assertThat(millis).isLessThan(15_000);
        assertThat(master.cluster.queryValue("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_backup_start%'"
                + " AND pid <> pg_backend_pid()")).isEqualTo("0");
        assertThat(store.list()).as("nothing half-made is left").isEmpty();
    }

    @Test
    void incompleteLeftovers_areNeverFoundAndAreSweptByTheNextTake() throws Exception {
        SnapshotsConfig config = master.btrfs();
        SnapshotStore store = new SnapshotStore(config.directory());
        Path leftover = config.directory().resolve("lifeboat-2026-01-01_00-00-00Z_incomplete");
        Files.createDirectories(leftover);
        ExternalCommand.of("btrfs", "subvolume", "snapshot", "-r", master.subvolume.toString(),
                leftover.resolve("volume").toString()).timeout(Duration.ofSeconds(30)).run();
        assertThat(store.list()).anyMatch(s -> s.incomplete() && s.storageName().endsWith("_incomplete"));
        assertThat(store.complete()).noneMatch(s -> s.name().complete().equals("lifeboat-2026-01-01_00-00-00Z"));

        awaitNextSecond();
        cycle(config, store).take();

        assertThat(leftover).doesNotExist();
        assertThat(store.list()).noneMatch(StoredSnapshot::incomplete);
    }

    private static void awaitNextSecond() throws InterruptedException {
        Thread.sleep(1_050);
    }

    private static int freePort() throws java.io.IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
