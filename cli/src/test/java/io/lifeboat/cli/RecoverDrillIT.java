package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.BackgroundReplication;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.testkit.LocalPostgresCluster;
import io.lifeboat.testkit.LoopVolume;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Disaster drills on real servers, one per rung, sharing one world that gets worse drill by drill: a master whose
 * data directory is on a btrfs subvolume, a standby kept by the replicator, snapshots of the master's volume,
 * archive backups on an S3 server and a filesystem target, and a ledger of committed writes kept outside every
 * database. Each drill breaks things so that exactly one rung is the first healthy one, checks that the dry-run
 * predicts it, runs {@code recover --auto}, and checks the recovered database: the rung taken, pg_amcheck, and every
 * ledger entry committed at or before the position the rung claims (none after it).
 */
@Tag("root")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoverDrillIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path dir;
    static LoopVolume volume;
    static Path subvolume;
    static PostgresCluster master;
    static PostgresCluster standby;
    static S3Server s3;
    static PgpKeys keys;
    static PgpKeys otherKeys;
    static Ledger ledger;
    static BackgroundReplication replication;
    static Pools replicationPools;
    static Path config;
    static Path target;
    static int targetPort;
    static Path fenced;
    static Path switched;
    static List<Path> recoveredDataDirectories = new ArrayList<>();

    @BeforeAll
    static void world() throws Exception {
        volume = LoopVolume.btrfs(3L << 30);
        dir = Files.createDirectories(volume.mountPoint().resolve("drill"));
        subvolume = volume.createSubvolume("pg");
        master = PostgresCluster.builder().parentDirectory(subvolume).setting("fsync", "off").start();
        standby = PostgresCluster.builder().setting("fsync", "off").start();
        s3 = S3Server.start();
        s3.createBucket("backups");
        keys = PgpKeys.generate("Lifeboat Drill <drill@lifeboat.invalid>", "drill passphrase".toCharArray());
        otherKeys = PgpKeys.generate("Someone Else <else@lifeboat.invalid>", "other".toCharArray());
        keys.writeArmoredPublicKey(dir.resolve("backup.pub.asc"));
        keys.writeArmoredSecretKey(dir.resolve("backup.key.asc"));
        otherKeys.writeArmoredSecretKey(dir.resolve("other.key.asc"));
        Files.writeString(dir.resolve("backup.pass"), "drill passphrase\n");
        Files.writeString(dir.resolve("other.pass"), "other\n");
        Files.writeString(dir.resolve("s3.secret"), s3.secretKey() + "\n");
        for (String secret : List.of("backup.pass", "other.pass", "s3.secret")) {
            Files.setPosixFilePermissions(dir.resolve(secret), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        // What the ladder does, step by step, with durations: the drill's own record of each recovery.
        for (String logger : List.of("io.lifeboat.recovery", "io.lifeboat.core.server")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
        }
        Files.createDirectories(dir.resolve("offsite"));
        target = volume.mountPoint().resolve("recovered");
        targetPort = freePort();
        fenced = dir.resolve("fenced.txt");
        switched = dir.resolve("switched.txt");
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.createDatabase("app");
            Ledger.createTable(cluster);
            // About 3 MB that does not compress: every backup spans several 1 MiB chunks.
            cluster.execute("app", "CREATE TABLE filler (id int PRIMARY KEY, body text)");
        }
        master.execute("app", "INSERT INTO filler SELECT g, array_to_string(ARRAY(SELECT md5(random()::text || g || i)"
                + " FROM generate_series(1, 20) i), '') FROM generate_series(1, 6000) g");
        config = writeConfig("drill", Map.of());
        LifeboatConfig lifeboat = ConfigLoader.load(config).config();
        replicationPools = new Pools(lifeboat);
        new CatalogMigrator(replicationPools.standby()).migrate();
        replication = new Replicator(lifeboat.master(), lifeboat.replication(), replicationPools.master(),
                replicationPools.standby()).startInBackground();
        ledger = new Ledger(dir.resolve("ledger.txt"));
        ledger.start(master);
        ledger.awaitMore(100);
        run(0, "snapshot", "take");                                  // the oldest snapshot
        ledger.awaitMore(100);
        awaitStandbyHas(ledger.maxId());
        run(0, "archive", "run");                                    // a backup on s3:primary, copied to fs:offsite
        ledger.awaitMore(100);
        run(0, "snapshot", "take");                                  // the second snapshot
        ledger.awaitMore(100);
    }

    @AfterAll
    static void end() throws Exception {
        if (ledger != null) {
            ledger.stop();
        }
        if (replication != null) {
            replication.close();
        }
        if (replicationPools != null) {
            replicationPools.close();
        }
        for (Path data : recoveredDataDirectories) {
            stopQuietly(data);
        }
        for (AutoCloseable resource : new AutoCloseable[] {master, standby, s3}) {
            if (resource != null) {
                resource.close();
            }
        }
        if (volume != null) {
            // Recovered copies are subvolumes on the loop volume; unmounting takes them all.
            volume.close();
        }
    }

    @Test
    @Order(1)
    void masterMerelyStopped_restartMaster_dryRunChangesNothing_andASecondRecoveryRefuses() throws Exception {
        ledger.stop();
        master.kill();
        String before = sourcesChecksum();

        JsonNode dryRun = dryRun(config);
        assertThat(before).as("a dry-run changes no source").isEqualTo(sourcesChecksum());
        assertThat(dryRun.at("/chosen/rung").asText()).as(dryRun.toString()).isEqualTo("restart-master");
        assertThat(state(dryRun, "restart-master")).isEqualTo("ok");
        assertThat(state(dryRun, "promote-standby")).isEqualTo("ok");
        assertThat(state(dryRun, "latest-snapshot")).isEqualTo("ok");
        assertThat(state(dryRun, "offsite-dump")).isEqualTo("ok");

        // Two recoveries at once: the second refuses while the first holds the lock.
        Path lock = dir.resolve(".lifeboat-recover.lock");
        Files.deleteIfExists(lock);
        CompletableFuture<CommandRun> first = CompletableFuture.supplyAsync(() -> CommandRun.of("-c", config.toString(),
                "recover", "--auto", "--json"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(lock) && Files.size(lock) > 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        CommandRun second = CommandRun.of("-c", config.toString(), "recover", "--auto");
        assertThat(second.exitCode()).isEqualTo(2);
        assertThat(second.err()).contains("error: another recovery is running (pid " + ProcessHandle.current().pid()
                + ", since ");

        CommandRun recovered = first.get(5, TimeUnit.MINUTES);
        assertThat(recovered.exitCode()).as(recovered.err()).isZero();
        JsonNode report = JSON.readTree(recovered.out());
        assertThat(report.at("/chosen/rung").asText()).isEqualTo("restart-master");
        assertThat(report.at("/data_loss_bytes").asLong()).isZero();
        assertThat(amcheck(master.port())).isZero();
        assertLedger(master.port(), Lsn.parse(report.at("/recovered/lsn").asText()), true);
        assertThat(Files.readAllLines(switched)).containsExactly("127.0.0.1 " + master.port() + " app restart-master");
        try (Stream<Path> files = Files.list(dir)) {
            Path file = files.filter(p -> p.getFileName().toString().matches("lifeboat-recovery-\\d{8}T\\d{6}Z\\.json"))
                    .findFirst().orElseThrow();
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            assertThat(JSON.readTree(file.toFile()).at("/chosen/rung").asText()).isEqualTo("restart-master");
        }
        assertThat(value(master.port(), "SELECT rung FROM lifeboat.recovery")).isEqualTo("restart-master");

        CommandRun unknown = CommandRun.of("-c", config.toString(), "recover", "--from", "restart-mastr");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).containsExactly("error: unknown rung 'restart-mastr'",
                "hint: rungs: restart-master, master-volume-snapshot, promote-standby, latest-snapshot,"
                        + " older-snapshots, offsite-dump");
    }

    @Test
    @Order(2)
    void masterConfigurationBroken_masterVolumeSnapshot_replaysTheMastersOwnWal() throws Exception {
        ledger.start(master);
        ledger.awaitMore(50);
        ledger.stop();
        master.stop();
        Path autoConf = master.dataDirectory().resolve("postgresql.auto.conf");
        String original = Files.readString(autoConf);
        Files.writeString(autoConf, original + "shared_preload_libraries = 'lifeboat_no_such_library'\n");
        try {
            JsonNode dryRun = dryRun(config);
            assertThat(state(dryRun, "restart-master")).startsWith("corrupt: does not start in place: FATAL:")
                    .contains("lifeboat_no_such_library");
            assertThat(dryRun.at("/chosen/rung").asText()).isEqualTo("master-volume-snapshot");

            JsonNode report = recoverAuto(config, "master-volume-snapshot");
            assertThat(report.at("/data_loss_bytes").asLong()).isZero();
            Path data = Path.of(report.at("/recovered/data_directory").asText());
            assertThat(data.resolve("postgresql.auto.conf.master")).exists();
            assertThat(amcheck(targetPort)).isZero();
            assertLedger(targetPort, Lsn.parse(report.at("/recovered/lsn").asText()), true);
            assertThat(Files.readString(autoConf)).as("the master's own directory is only read")
                    .endsWith("'lifeboat_no_such_library'\n");
        } finally {
            Files.writeString(autoConf, original);
        }
        clearTarget();

        // Fixed, the master comes back in place through the operator's own start command (a service manager's).
        Path startLog = dir.resolve("started-by-command.log");
        Path byCommand = writeConfig("start-command", Map.of("master_start_command", "runuser -u postgres --"
                + " /usr/lib/postgresql/15/bin/pg_ctl -D {data_directory} -l " + startLog + " -w -t 120 start"));
        Files.createFile(startLog);
        ExternalCommand.of("chown", "postgres", startLog.toString()).timeout(Duration.ofSeconds(10)).run();
        CommandRun restarted = CommandRun.of("-c", byCommand.toString(), "recover", "--from", "restart-master",
                "--json");
        assertThat(restarted.exitCode()).as(restarted.err()).isZero();
        assertThat(JSON.readTree(restarted.out()).at("/chosen/rung").asText()).isEqualTo("restart-master");
        assertThat(Files.readString(startLog)).as("started by recovery.master_start_command").isNotEmpty();
        assertThat(value(master.port(), "SELECT 1")).isEqualTo("1");
    }

    @Test
    @Order(3)
    void masterDestroyed_promoteStandby_fencedFirst_sequencesPastEveryMasterId_leastDataLossDiffers() throws Exception {
        ledger.start(master);
        ledger.awaitMore(50);
        awaitStandbyHas(ledger.maxId());
        // The standby stops following; the master goes on and is snapshotted: that snapshot holds more than the standby.
        replication.close();
        replication = null;
        ledger.awaitMore(100);
        run(0, "snapshot", "take");
        ledger.awaitMore(20);
        ledger.stop();
        long maxMasterId = ledger.maxId();
        master.kill();
        destroy(master.dataDirectory());

        JsonNode dryRun = dryRun(config);
        assertThat(state(dryRun, "restart-master")).startsWith("unavailable: ");
        assertThat(dryRun.at("/policies/first-healthy/rung").asText()).isEqualTo("promote-standby");
        assertThat(dryRun.at("/policies/least-data-loss/rung").asText()).isEqualTo("latest-snapshot");
        assertThat(dryRun.at("/chosen/rung").asText()).isEqualTo("promote-standby");
        assertThat(row(dryRun, "promote-standby").at("/data_loss_bytes").asLong()).isPositive();

        // A fence that fails: nothing is promoted, nothing on the standby changes.
        String sequenceBefore = value(standby.port(), "SELECT last_value FROM ledger_id_seq");
        Path failingFence = writeConfig("failing-fence", Map.of("fence_command", "sh -c 'echo cannot reach the"
                + " power switch >&2; exit 3'"));
        CommandRun refused = CommandRun.of("-c", failingFence.toString(), "recover", "--auto");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).startsWith("error: fence command failed (exit 3): cannot reach the power switch;"
                + " not promoting the standby");
        assertThat(value(standby.port(), "SELECT count(*) FROM pg_trigger WHERE tgname = 'lifeboat_promoted'"))
                .isEqualTo("0");
        assertThat(value(standby.port(), "SELECT last_value FROM ledger_id_seq")).isEqualTo(sequenceBefore);

        // Consent: losing more than recovery.max_data_loss stops the walk and leaves the decision to a human.
        Path strict = writeConfig("strict", Map.of("max_data_loss", "1s"));
        CommandRun stopped = CommandRun.of("-c", strict.toString(), "recover", "--auto");
        assertThat(stopped.exitCode()).isEqualTo(2);
        assertThat(stopped.err()).contains("error: promote-standby standby 127.0.0.1:" + standby.port() + "/app would"
                + " lose ").contains(", over recovery.max_data_loss (1s); nothing was done")
                .contains("hint: nothing was changed; rerun with --allow-data-loss to take it");
        assertThat(value(standby.port(), "SELECT count(*) FROM pg_trigger WHERE tgname = 'lifeboat_promoted'"))
                .isEqualTo("0");

        CommandRun recovered = CommandRun.of("-c", config.toString(), "recover", "--auto", "--json");
        assertThat(recovered.exitCode()).as(recovered.err()).isZero();
        JsonNode report = JSON.readTree(recovered.out());
        assertThat(report.at("/chosen/rung").asText()).isEqualTo("promote-standby");
        assertThat(Files.readAllLines(fenced)).containsExactly("fenced 127.0.0.1 " + master.port());
        assertThat(amcheck(standby.port())).isZero();
        Lsn claimed = Lsn.parse(report.at("/recovered/lsn").asText());
        assertLedger(standby.port(), claimed, false);
        long newId = Long.parseLong(value(standby.port(), "INSERT INTO ledger (note) VALUES ('after promotion')"
                + " RETURNING id"));
        assertThat(newId).as("the first id after promotion is past every id the master handed out")
                .isGreaterThan(maxMasterId);
        // Replication into the promoted standby is refused for good, even as the applier writes (replica role).
        assertThat(applyRefused(standby.port())).isEqualTo("55000");
        assertThat(value(standby.port(), "SELECT rung FROM lifeboat.recovery ORDER BY id DESC LIMIT 1"))
                .isEqualTo("promote-standby");
    }

    @Test
    @Order(4)
    void standbyAlsoGone_latestSnapshot() throws Exception {
        standby.stop();
        JsonNode dryRun = dryRun(config);
        assertThat(state(dryRun, "promote-standby")).startsWith("unavailable: cannot connect to standby");
        assertThat(dryRun.at("/chosen/rung").asText()).isEqualTo("latest-snapshot");
        assertThat(dryRun.at("/reference/source").asText()).contains("the catalog is unreachable");

        JsonNode report = recoverAuto(config, "latest-snapshot");
        Path data = Path.of(report.at("/recovered/data_directory").asText());
        assertThat(data).startsWith(target);
        assertThat(amcheck(targetPort)).isZero();
        assertLedger(targetPort, Lsn.parse(report.at("/recovered/lsn").asText()), false);
        // Where the filler's rows live (written once, never since: no WAL replay rewrites its pages), to damage that
        // snapshot in the next drill.
        Files.writeString(dir.resolve("filler-file"), value(targetPort, "SELECT pg_relation_filepath('filler')"));
        Files.writeString(dir.resolve("latest-snapshot"), report.at("/chosen/candidate").asText());
    }

    @Test
    @Order(5)
    void newestSnapshotCorrupted_olderSnapshots_targetMovedAsideOnlyWithForce() throws Exception {
        for (Path data : recoveredDataDirectories) {
            stopQuietly(data);
        }
        String newest = Files.readString(dir.resolve("latest-snapshot"));
        Path snapshotVolume = volume.mountPoint().resolve("snapshots").resolve(newest).resolve("volume");
        Path relation = snapshotVolume.resolve(subvolume.relativize(master.dataDirectory()).toString())
                .resolve(Files.readString(dir.resolve("filler-file")).strip());
        btrfsReadOnly(snapshotVolume, false);
        try (RandomAccessFile file = new RandomAccessFile(relation.toFile(), "rw")) {
            file.seek(3 * 8192 + 100);
            file.write(new byte[512]);
        }
        btrfsReadOnly(snapshotVolume, true);

        CommandRun occupied = CommandRun.of("-c", config.toString(), "recover", "--from", "older-snapshots");
        assertThat(occupied.exitCode()).isEqualTo(2);
        assertThat(occupied.err()).contains("unavailable: recovery.target.data_directory " + target
                + " is not empty (--force moves it aside)");

        JsonNode dryRun = dryRun(config, "--force");
        assertThat(state(dryRun, "latest-snapshot")).startsWith("corrupt: pg_amcheck found corruption");
        assertThat(dryRun.at("/chosen/rung").asText()).isEqualTo("older-snapshots");

        JsonNode report = recoverAuto(config, "older-snapshots", "--force");
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString()))
                    .anyMatch(name -> name.startsWith("recovered.moved-aside-"));
        }
        assertThat(amcheck(targetPort)).isZero();
        assertLedger(targetPort, Lsn.parse(report.at("/recovered/lsn").asText()), false);
    }

    @Test
    @Order(6)
    void everythingLocalGone_offsiteDumpFromTheFirstTarget_wrongOrMissingKey_failingSwitch() throws Exception {
        for (Path data : recoveredDataDirectories) {
            stopQuietly(data);
        }
        try (Stream<Path> snapshots = Files.list(volume.mountPoint().resolve("snapshots"))) {
            for (Path snapshot : snapshots.toList()) {
                ExternalCommand.of("btrfs", "subvolume", "delete", snapshot.resolve("volume").toString())
                        .timeout(Duration.ofMinutes(1)).run();
                ExternalCommand.of("rm", "-rf", snapshot.toString()).timeout(Duration.ofMinutes(1)).run();
            }
        }

        Path wrongKey = writeConfig("wrong-key", Map.of("key", dir.resolve("other.key.asc").toString(),
                "passphrase_file", dir.resolve("other.pass").toString()));
        JsonNode wrong = dryRun(wrongKey, "--force");
        assertThat(wrong.get("chosen").isNull()).isTrue();
        assertThat(state(wrong, "offsite-dump")).startsWith("corrupt: cannot decrypt: backup ")
                .contains(", not to key " + otherKeys.fingerprint());
        int undecryptable = 0;
        for (JsonNode row : wrong.get("rungs")) {
            if (row.get("state").asText().equals("corrupt") && row.get("reason").asText().startsWith("cannot decrypt")) {
                undecryptable++;
            }
        }
        assertThat(undecryptable).as("both copies of the backup, one per target").isEqualTo(2);

        Path missingKey = writeConfig("missing-key", Map.of("key", dir.resolve("nope.key.asc").toString()));
        CommandRun missing = CommandRun.of("-c", missingKey.toString(), "recover", "--from", "offsite-dump", "--force");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("unavailable: secret key " + dir.resolve("nope.key.asc") + ": no such file");
        assertThat(Files.exists(target)).as("a refused recovery leaves the target as it was").isTrue();

        JsonNode dryRun = dryRun(config, "--force");
        assertThat(dryRun.at("/chosen/rung").asText()).isEqualTo("offsite-dump");
        assertThat(dryRun.at("/chosen/candidate").asText()).startsWith("s3:primary/");

        // A recovery killed mid-restore (its new cluster up and loading): nothing at the target looks complete, and
        // the next recovery stops the server it left and moves the half-built copy aside.
        Path staging = target.resolveSibling(target.getFileName() + ".lifeboat-incomplete");
        ChildCommand interrupted = ChildCommand.startShortLived(dir.resolve("interrupted.log"), "-c", config.toString(),
                "recover", "--from", "offsite-dump", "--force");
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            // The restore's own server, ready (initdb's single-user bootstrap writes a pid file too, without it).
            while (!serverReady(staging) && interrupted.process().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(serverReady(staging)).as(interrupted.output()).isTrue();
            interrupted.signal("KILL");
            assertThat(interrupted.exitCode(Duration.ofSeconds(30))).isEqualTo(137);
        } finally {
            interrupted.destroy();
        }
        assertThat(target).as("an interrupted recovery leaves nothing that looks complete").doesNotExist();
        assertThat(staging).exists();

        Path failingSwitch = writeConfig("failing-switch", Map.of("switch_command", "sh -c 'echo no dns >&2; exit 1'"));
        CommandRun run = CommandRun.of("-c", failingSwitch.toString(), "recover", "--auto", "--json", "--force");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("error: the switch command failed (exit 1): no dns; the database stays up on ");
        JsonNode report = JSON.readTree(run.out());
        assertThat(report.at("/chosen/candidate").asText()).isEqualTo(dryRun.at("/chosen/candidate").asText());
        recoveredDataDirectories.add(Path.of(report.at("/recovered/data_directory").asText()));
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString()))
                    .anyMatch(name -> name.startsWith("recovered.failed-"));
        }
        assertThat(staging).doesNotExist();
        // The restored database is no open door: over TCP the superuser too needs the password kept beside it.
        assertThat(Files.getPosixFilePermissions(recoveredPasswordFile()))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(report.at("/recovered/checks").toString()).contains(recoveredPasswordFile().toString());
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + targetPort + "/app",
                "postgres", "")).isInstanceOf(SQLException.class);
        assertThat(amcheck(targetPort)).isZero();
        assertLedger(targetPort, Lsn.parse(report.at("/recovered/lsn").asText()), false);
        // A dump is older than the master's last ids; the rule moves its sequences past every id it holds by the gap.
        long restoredMax = Long.parseLong(value(targetPort, "SELECT max(id) FROM ledger"));
        long newId = Long.parseLong(value(targetPort, "INSERT INTO ledger (note) VALUES ('after restore') RETURNING id"));
        assertThat(newId).isGreaterThan(restoredMax + 1000);
    }

    @Test
    @Order(7)
    void corruptChunkOnTheFirstTarget_offsiteDumpFromTheSecond() throws Exception {
        for (Path data : recoveredDataDirectories) {
            stopQuietly(data);
        }
        String id;
        try (Stream<Path> backups = Files.list(s3.directory().resolve("backups"))) {
            id = backups.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{8}T\\d{6}Z")).findFirst()
                    .orElseThrow();
        }
        try (RandomAccessFile chunk = new RandomAccessFile(s3.directory().resolve("backups").resolve(id)
                .resolve("chunk-00002").toFile(), "rw")) {
            chunk.seek(1000);
            chunk.write(new byte[64]);
        }
        JsonNode dryRun = dryRun(config, "--force");
        assertThat(state(dryRun, "offsite-dump")).isEqualTo("corrupt: chunk " + id + "/chunk-00002 on s3:primary is"
                + " corrupt (sha256 mismatch)");
        assertThat(dryRun.at("/chosen/candidate").asText()).isEqualTo("fs:offsite/" + id);
        CommandRun table = CommandRun.of("-c", config.toString(), "recover", "--auto", "--dry-run", "--force");
        assertThat(table.exitCode()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(1)).matches("RUNG +CANDIDATE +DATA LOST +TIME +STATE");
        assertThat(lines).anyMatch(l -> l.matches("offsite-dump +s3:primary/" + id + " +- +- +corrupt: chunk .*"));
        assertThat(lines).anyMatch(l -> l.matches("offsite-dump +fs:offsite/" + id + " +\\S.* +~\\d+ s +ok"));
        assertThat(lines.get(lines.size() - 1)).startsWith("--auto would take: offsite-dump fs:offsite/" + id
                + ", losing ");

        JsonNode report = recoverAuto(config, "offsite-dump", "--force");
        assertThat(report.at("/chosen/candidate").asText()).isEqualTo("fs:offsite/" + id);
        assertThat(amcheck(targetPort)).isZero();
        assertLedger(targetPort, Lsn.parse(report.at("/recovered/lsn").asText()), false);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static JsonNode dryRun(Path file, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("-c", file.toString(), "recover", "--auto", "--dry-run", "--json"));
        args.addAll(List.of(extra));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.out() + run.err()).isIn(0, 2);
        return JSON.readTree(run.out());
    }

    private static JsonNode recoverAuto(Path file, String expectedRung, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("-c", file.toString(), "recover", "--auto", "--json"));
        args.addAll(List.of(extra));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        JsonNode report = JSON.readTree(run.out());
        assertThat(report.at("/chosen/rung").asText()).isEqualTo(expectedRung);
        if (report.at("/recovered/data_directory").isTextual()) {
            recoveredDataDirectories.add(Path.of(report.at("/recovered/data_directory").asText()));
        }
        return report;
    }

    /** The first row of a rung in a report. */
    private static JsonNode row(JsonNode report, String rung) {
        for (JsonNode row : report.get("rungs")) {
            if (row.get("rung").asText().equals(rung)) {
                return row;
            }
        }
        throw new AssertionError("no row for " + rung + " in " + report);
    }

    private static String state(JsonNode report, String rung) {
        JsonNode row = row(report, rung);
        String state = row.get("state").asText();
        return state.equals("ok") ? state : state + ": " + row.get("reason").asText();
    }

    private static void assertLedger(int port, Lsn claimed, boolean everything) throws SQLException {
        try (Connection connection = connect(port)) {
            Ledger.Check check = ledger.check(claimed, Ledger.ids(connection));
            assertThat(check.mustHave()).as("ledger entries at or before " + claimed).isPositive();
            assertThat(check.missing()).as("ledger entries committed at or before " + claimed + " that are missing")
                    .isEmpty();
            assertThat(check.unexpected()).as("ledger entries committed after " + claimed + " that are present")
                    .isEmpty();
            if (everything) {
                assertThat(check.mustHave()).isEqualTo(ledger.size());
            }
        }
    }

    /** pg_amcheck --heapallindexed of every database, run by the test itself over TCP. */
    private static int amcheck(int port) {
        ExternalCommand.Result result = ExternalCommand.of(master.binDirectory().resolve("pg_amcheck").toString(),
                "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "--all", "--heapallindexed",
                "--install-missing").env("PGPASSFILE", recoveredPasswordFile().toString())
                .timeout(Duration.ofMinutes(5)).runAllowingFailure();
        assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
        return result.exitCode();
    }

    /** What the applier does, as the applier does it: refused by the guard once the standby is promoted. */
    private static String applyRefused(int port) {
        try (Connection connection = connect(port); Statement statement = connection.createStatement()) {
            statement.execute("SET session_replication_role = replica");
            statement.execute("UPDATE lifeboat.applied_position SET lsn = lsn");
            return "none";
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    private static String value(int port, String sql) throws SQLException {
        try (Connection connection = connect(port); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static Connection connect(int port) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        recoveredPassword(port).ifPresent(password -> properties.setProperty("password", password));
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", properties);
    }

    /** The recovered cluster's superuser password, from the file an offsite-dump recovery writes beside it. */
    private static java.util.Optional<String> recoveredPassword(int port) {
        Path file = recoveredPasswordFile();
        if (port != targetPort || !Files.exists(file)) {
            return java.util.Optional.empty();
        }
        try {
            String line = Files.readString(file).strip();
            return java.util.Optional.of(line.substring(line.lastIndexOf(':') + 1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path recoveredPasswordFile() {
        return target.resolveSibling(target.getFileName() + ".password");
    }

    private static void awaitStandbyHas(long id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (Long.parseLong(value(standby.port(), "SELECT coalesce(max(id), 0) FROM ledger")) >= id) {
                return;
            }
            assertThat(replication.failure()).isEmpty();
            Thread.sleep(100);
        }
        throw new AssertionError("the standby did not receive ledger id " + id);
    }

    private static void run(int expectedExit, String... command) {
        List<String> args = new ArrayList<>(List.of("-c", config.toString()));
        args.addAll(List.of(command));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(String.join(" ", command) + ": " + run.out() + run.err()).isEqualTo(expectedExit);
    }

    private static boolean serverReady(Path dataDirectory) {
        try {
            return Files.readAllLines(dataDirectory.resolve("postmaster.pid")).stream()
                    .anyMatch(line -> line.strip().equals("ready"));
        } catch (IOException e) {
            return false;
        }
    }

    private static Path writeConfig(String name, Map<String, String> recovery) throws IOException {
        Map<String, String> settings = new TreeMap<>(Map.of(
                "key", dir.resolve("backup.key.asc").toString(),
                "passphrase_file", dir.resolve("backup.pass").toString(),
                "fence_command", "sh -c 'echo fenced {host} {port} >> " + fenced + "'",
                "switch_command", "sh -c 'echo {host} {port} {database} {rung} >> " + switched + "'"));
        settings.putAll(recovery);
        StringBuilder block = new StringBuilder();
        settings.forEach((key, value) -> block.append("  ").append(key).append(": \"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n"));
        Path file = dir.resolve(name + ".yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable, data_directory: %s}
                standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable, connect_timeout: 2s}
                snapshots:
                  provider: btrfs
                  volume: %s
                  directory: %s
                  verify: false
                  schedule: 1s,1d/7d
                archive:
                  chunk_size: 1MiB
                  recipients: [backup.pub.asc]
                  targets:
                    - {name: primary, type: s3, bucket: backups, endpoint: %s, path_style: true, access_key_id: %s,
                       secret_access_key_file: %s}
                    - {name: offsite, type: filesystem, path: %s}
                recovery:
                  target: {data_directory: %s, port: %d}
                  sequence_gap: 1000
                %s""".formatted(master.port(), master.dataDirectory(), standby.port(), subvolume,
                volume.mountPoint().resolve("snapshots"), s3.endpoint(), s3.accessKey(), dir.resolve("s3.secret"),
                dir.resolve("offsite"), target, targetPort, block), StandardCharsets.UTF_8);
        return file;
    }

    /** Every byte of every source a dry-run must leave alone: the master's directory, snapshots, both targets. */
    private static String sourcesChecksum() throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (Path root : List.of(master.dataDirectory(), volume.mountPoint().resolve("snapshots"),
                dir.resolve("offsite"), s3.directory())) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    digest.update(root.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                    digest.update(Files.readAllBytes(file));
                }
            }
        }
        digest.update(value(standby.port(), "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM ledger t")
                .getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Stops what was recovered so far and removes the target, for a drill that needs it empty. */
    private static void clearTarget() {
        for (Path data : recoveredDataDirectories) {
            stopQuietly(data);
        }
        if (Files.exists(target)) {
            boolean subvolume = ExternalCommand.of("btrfs", "subvolume", "show", target.toString())
                    .timeout(Duration.ofSeconds(30)).runAllowingFailure().exitCode() == 0;
            ExternalCommand.of(subvolume ? List.of("btrfs", "subvolume", "delete", target.toString())
                    : List.of("rm", "-rf", target.toString())).timeout(Duration.ofMinutes(1)).run();
        }
    }

    private static void destroy(Path dataDirectory) {
        ExternalCommand.of("sh", "-c", "rm -rf \"$1\"/*", "sh", dataDirectory.toString()).timeout(Duration.ofMinutes(1))
                .run();
    }

    private static void btrfsReadOnly(Path subvolumePath, boolean readOnly) {
        ExternalCommand.of("btrfs", "property", "set", subvolumePath.toString(), "ro", Boolean.toString(readOnly))
                .timeout(Duration.ofSeconds(30)).run();
    }

    private static void stopQuietly(Path dataDirectory) {
        try {
            if (Files.exists(dataDirectory.resolve("PG_VERSION"))) {
                PostgresServer.at(dataDirectory).stopImmediately();
            }
        } catch (RuntimeException e) {
            // Already gone.
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
