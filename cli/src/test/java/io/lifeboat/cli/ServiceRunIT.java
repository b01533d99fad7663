package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.cli.service.Backoff;
import io.lifeboat.cli.service.Service;
import io.lifeboat.cli.service.ServiceTiming;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.testkit.FaultyProxy;
import io.lifeboat.testkit.LoopVolume;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lifeboat run} end to end on one master (on a btrfs loop volume), one standby and a real S3 server behind a
 * proxy that can fail or slow it: the service replicates, snapshots, archives, copies, validates, prunes and runs
 * its dry-run on its own; a failing S3 makes the archive fail and be tried again while replication goes on; a second
 * run refuses; SIGTERM mid-archive leaves no manifest; kill -9 and a restart lose and double nothing.
 */
@Tag("root")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceRunIT {
    private static final String MASTER_PASSWORD = "master-pw-7f3a9c";
    private static final String ROWS_MD5 = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY id)),"
            + " '') FROM ledger t";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static LoopVolume volume;
    static PostgresCluster master;
    static PostgresCluster standby;
    static S3Server s3;
    static FaultyProxy proxy;
    static final AtomicLong nextId = new AtomicLong(1_000_000);
    static final List<ChildCommand> children = new ArrayList<>();

    @BeforeAll
    static void servers() throws Exception {
        volume = LoopVolume.btrfs(2L << 30);
        Path subvolume = volume.createSubvolume("pg");
        master = PostgresCluster.builder().parentDirectory(subvolume).start();
        standby = PostgresCluster.builder().start();
        s3 = S3Server.start();
        s3.createBucket("nightly");
        s3.createBucket("later");
        proxy = FaultyProxy.start(s3.endpoint());
        PgpKeys keys = PgpKeys.generate("Lifeboat Backups <backups@example.invalid>", "pass".toCharArray());
        keys.writeArmoredPublicKey(dir.resolve("backup.pub.asc"));
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.createDatabase("app");
            cluster.execute("app", "CREATE TABLE ledger (id bigint PRIMARY KEY, note text)");
        }
        // ~6 MB of text that compresses only about 2x, so an upload slowed by the proxy takes seconds.
        master.execute("app", "INSERT INTO ledger SELECT g, array_to_string(ARRAY(SELECT md5(random()::text || g || i)"
                + " FROM generate_series(1, 40) i), '') FROM generate_series(1, 5000) g");
        Files.createDirectories(volume.mountPoint().resolve("snapshots"));
        try (Pools pools = new Pools(ConfigLoader.load(config("catalog", "nightly", false)).config())) {
            new io.lifeboat.migrations.CatalogMigrator(pools.standby()).migrate();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (ChildCommand child : children) {
            child.destroy();
        }
        Stream.<AutoCloseable>of(proxy, master, standby, s3, volume).forEach(resource -> {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    /** A config whose archive window holds the present (UTC), so the nightly jobs are due at once. */
    private static Path config(String name, String bucket, boolean snapshots) throws IOException {
        return config(name, bucket, snapshots, "");
    }

    private static Path config(String name, String bucket, boolean snapshots, String archiveExtra) throws IOException {
        LocalTime now = LocalTime.now(ZoneOffset.UTC);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        String window = now.minusHours(2).format(hhmm) + "-" + now.plusHours(2).format(hhmm);
        Path file = dir.resolve(name + ".yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %d, database: app, user: postgres, password: %s, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, password: %s, sslmode: disable}
                archive:
                  chunk_size: 1MiB
                  recipients: [backup.pub.asc]
                  window: %s%s
                  targets:
                    - {name: primary, type: s3, bucket: %s, endpoint: %s, path_style: true, access_key_id: %s,
                       secret_access_key: %s}
                    - {name: offsite, type: filesystem, path: %s}
                %s
                service:
                  timezone: UTC
                """.formatted(master.port(), MASTER_PASSWORD, standby.port(), MASTER_PASSWORD, window, archiveExtra, bucket,
                proxy.endpoint(), s3.accessKey(), s3.secretKey(), dir.resolve("offsite-" + bucket),
                snapshots ? """
                        snapshots:
                          provider: btrfs
                          volume: %s
                          directory: %s
                          schedule: 15s,1m/1h
                          verify: true
                        """.formatted(volume.mountPoint().resolve("pg"), volume.mountPoint().resolve("snapshots"))
                        : ""));
        return file;
    }

    @Test
    @Order(1)
    void run_doesEveryJobOnItsOwn_retriesAFailingArchive_andASecondRunRefuses() throws Exception {
        // S3 answers every request with 503 until healed: the archive fails, is tried again, replication goes on.
        for (String method : List.of("GET", "PUT", "POST", "HEAD", "DELETE")) {
            proxy.on(method, ".*").respond(503, "ServiceUnavailable");
        }
        LifeboatConfig config = ConfigLoader.load(config("inprocess", "nightly", true)).config();
        ServiceTiming quick = new ServiceTiming(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 30),
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), Integer.MAX_VALUE), Duration.ofSeconds(1),
                Duration.ofSeconds(25));
        try (Pools pools = new Pools(config); Service service = new Service(config, pools, quick, List.of())) {
            service.lock();
            service.start();

            awaitTrue("two failed archive attempts", Duration.ofSeconds(120),
                    () -> count("kind = 'archive' AND state = 'failed'") >= 2);
            long id = insertRow();
            awaitTrue("the row written while S3 fails to reach the standby", Duration.ofSeconds(60),
                    () -> count(standby, "SELECT count(*) FROM ledger WHERE id = " + id) == 1);
            assertThat(value(standby, "SELECT detail->>'error' FROM lifeboat.job WHERE kind = 'archive'"
                    + " AND state = 'failed' ORDER BY id LIMIT 1")).contains("s3:primary");

            // A second run against the same catalog refuses, naming this process.
            ChildCommand second = child("second.log", "-c", dir.resolve("inprocess.yml").toString(), "run");
            assertThat(second.exitCode(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(second.lines()).filteredOn(l -> l.startsWith("error:")).containsExactly(
                    "error: another lifeboat run holds the catalog on 127.0.0.1:" + standby.port() + "/app (host "
                            + InetAddress.getLocalHost().getHostName() + ", pid " + ProcessHandle.current().pid()
                            + ", since " + value(standby, "SELECT to_char(started_at AT TIME ZONE 'UTC',"
                            + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM lifeboat.service_instance") + ")");

            proxy.heal();
            awaitTrue("every job to succeed once", Duration.ofSeconds(180), () -> succeeded("archive")
                    && succeeded("copy") && count("kind = 'prune' AND state = 'succeeded' AND detail->>'of' = 'backups'") > 0
                    && succeeded("snapshot")
                    && count("kind = 'prune' AND state = 'succeeded' AND detail->>'of' = 'snapshots'") > 0
                    && succeeded("validate") && count("kind = 'dry-run' AND state <> 'running'") > 0);
            assertThat(value(standby, "SELECT detail->>'verified' FROM lifeboat.job WHERE kind = 'snapshot'"
                    + " AND state = 'succeeded' ORDER BY id LIMIT 1")).isEqualTo("true");
            String backup = value(standby, "SELECT detail->>'backup' FROM lifeboat.job WHERE kind = 'archive'"
                    + " AND state = 'succeeded'");
            assertThat(s3.client().listObjectsV2(b -> b.bucket("nightly").prefix(backup + "/")).contents())
                    .anyMatch(o -> o.key().endsWith("manifest.json"));
            assertThat(Files.exists(dir.resolve("offsite-nightly").resolve(backup).resolve("manifest.json"))).isTrue();
            assertThat(value(standby, "SELECT detail->>'message' FROM lifeboat.job WHERE kind = 'validate'"
                    + " AND state = 'succeeded'")).isEqualTo("all 1 tables in sync");
            JsonNode dryRun = JSON.readTree(value(standby, "SELECT detail::text FROM lifeboat.job"
                    + " WHERE kind = 'dry-run' AND state <> 'running' ORDER BY id LIMIT 1"));
            assertThat(dryRun.path("outcome").asText()).isEqualTo("dry-run");
            List<String> rungs = new ArrayList<>();
            dryRun.path("rungs").forEach(rung -> rungs.add(rung.path("rung").asText()));
            assertThat(rungs).containsAll(io.lifeboat.core.config.RecoveryConfig.RUNGS);
            assertThat(dryRun.path("message").asText()).startsWith("recover --auto would ");
            assertThat(count("state = 'succeeded' AND (ended_at IS NULL OR NOT detail ? 'message')")).isZero();
        }
        assertThat(count("state = 'running'")).as("a stop ends every row").isZero();
        assertThat(count(standby, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    @Test
    @Order(2)
    void sigtermMidArchive_leavesNoManifest_thenKillAndRestart_loseAndDoubleNothing() throws Exception {
        // archive.bandwidth makes the first run's upload take seconds, so the stop comes in the middle of it.
        Path slow = config("slow", "later", false, "\n  bandwidth: 128KiB/s");
        Path file = config("child", "later", false);
        long archivesBefore = count("kind = 'archive'");
        ChildCommand first = child("first.log", "-c", slow.toString(), "run");
        awaitTrue("a chunk of the archive on S3", Duration.ofSeconds(120), () -> count("kind = 'archive'") > archivesBefore
                && !s3.client().listObjectsV2(b -> b.bucket("later")).contents().isEmpty());
        first.signal("TERM");
        assertThat(first.exitCode(Duration.ofSeconds(40))).as(first.output()).isZero();
        assertThat(s3.client().listObjectsV2(b -> b.bucket("later")).contents())
                .noneMatch(o -> o.key().endsWith("manifest.json"));
        assertThat(value(standby, "SELECT state || ': ' || (detail->>'error') FROM lifeboat.job WHERE kind = 'archive'"
                + " ORDER BY id DESC LIMIT 1")).isEqualTo("failed: stopped before it finished (the service is stopping)");

        // The next run is killed (-9) mid-archive while the master takes writes; the one after it archives tonight's
        // backup after all (logging JSON lines), and its standby ends equal to the master: nothing lost or doubled.
        long firstWritten = nextId.get();
        long stoppedArchive = Long.parseLong(value(standby, "SELECT max(id) FROM lifeboat.job WHERE kind = 'archive'"));
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                insertRow();
            }
        });
        writer.start();
        ChildCommand third;
        try {
            ChildCommand second = child("second.log", "-c", file.toString(), "run");
            awaitTrue("the next run to replicate and start its archive", Duration.ofSeconds(120),
                    () -> count(standby, "SELECT count(*) FROM ledger WHERE id > " + firstWritten) > 0
                            && count("kind = 'archive' AND state = 'running' AND id > " + stoppedArchive) == 1);
            second.process().destroyForcibly();
            assertThat(second.exitCode(Duration.ofSeconds(10))).isEqualTo(137);
            third = child("third.log", "--log-format", "json", "-c", file.toString(), "run");
            Thread.sleep(1500);
            writing.set(false);
            writer.join(10_000);
            awaitTrue("the standby to equal the master and tonight's archive to succeed", Duration.ofSeconds(120),
                    () -> value(standby, ROWS_MD5).equals(value(master, ROWS_MD5))
                            && count("kind = 'archive' AND state = 'succeeded' AND id > " + stoppedArchive) == 1);
            third.signal("TERM");
            assertThat(third.exitCode(Duration.ofSeconds(40))).as(third.output()).isZero();
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
        assertThat(value(standby, "SELECT state || ': ' || (detail->>'error') FROM lifeboat.job WHERE kind = 'archive'"
                + " AND id > " + stoppedArchive + " ORDER BY id LIMIT 1"))
                .isEqualTo("failed: the service stopped while it ran (killed?)");
        assertThat(s3.client().listObjectsV2(b -> b.bucket("later")).contents()
                .stream().filter(o -> o.key().endsWith("manifest.json")).toList())
                .as("one complete backup: the killed run's left none").hasSize(1);

        // Every line is JSON, the config's warnings (a password written in it) too.
        List<JsonNode> lines = new ArrayList<>();
        for (String line : third.lines()) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asText())
                .startsWith("child.yml:1: warning: master.password: written in the config file itself"));
        assertThat(lines).allSatisfy(line -> assertThat(line.fieldNames()).toIterable()
                .contains("timestamp", "level", "job", "message", "fields"));
        assertThat(lines).anySatisfy(line -> {
            assertThat(line.path("job").asText()).isEqualTo("archive");
            assertThat(line.path("message").asText()).startsWith("archive: succeeded in ");
            assertThat(line.path("fields").path("outcome").asText()).isEqualTo("succeeded");
            assertThat(line.path("fields").path("duration_ms").asLong()).isPositive();
        });
        for (ChildCommand each : children) {
            assertThat(each.output()).doesNotContain(MASTER_PASSWORD).doesNotContain(s3.secretKey());
        }
    }

    private static ChildCommand child(String log, String... args) throws IOException {
        ChildCommand child = ChildCommand.start(dir.resolve(log), args);
        children.add(child);
        return child;
    }

    private static long insertRow() {
        long id = nextId.incrementAndGet();
        master.execute("app", "INSERT INTO ledger VALUES (" + id + ", 'written while the service runs')");
        return id;
    }

    private static boolean succeeded(String kind) {
        return count("kind = '" + kind + "' AND state = 'succeeded'") > 0;
    }

    private static long count(String where) {
        return count(standby, "SELECT count(*) FROM lifeboat.job WHERE " + where);
    }

    private static long count(PostgresCluster cluster, String sql) {
        return Long.parseLong(value(cluster, sql));
    }

    private static String value(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect("app"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        } catch (SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    private static void awaitTrue(String what, Duration limit, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        assertThat(ChildCommand.await(limit, condition)).as(() -> "waited " + limit.toSeconds() + " s for " + what
                + "; jobs: " + jobs() + children.stream().filter(c -> c.process().isAlive()).map(c -> "\nrunning child:\n"
                + c.output() + threads(c)).reduce("", String::concat)).isTrue();
    }

    private static String threads(ChildCommand child) {
        try {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(child.pid()), "Thread.print").redirectErrorStream(true)
                    .start();
            String dump = new String(jcmd.getInputStream().readAllBytes());
            jcmd.waitFor();
            Files.writeString(Path.of("target", "service-threads.txt"), dump);
            return "\n(thread dump in target/service-threads.txt)";
        } catch (IOException | InterruptedException e) {
            return "\nno thread dump: " + e;
        }
    }

    private static String jobs() {
        try (Connection c = standby.connect("app"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT id, kind, state, detail->>'message', detail->>'error' FROM lifeboat.job ORDER BY id")) {
            StringBuilder out = new StringBuilder();
            while (r.next()) {
                out.append("\n  ").append(r.getLong(1)).append(' ').append(r.getString(2)).append(' ')
                        .append(r.getString(3)).append(": ").append(r.getString(4)).append(" / ").append(r.getString(5));
            }
            return out.toString();
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
