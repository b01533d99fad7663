package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    @Test
    void twoClusters_runAtOnceOnTheirOwnPorts_withLogicalWalAndChecksums() throws Exception {
        CompletableFuture<PostgresCluster> first = CompletableFuture.supplyAsync(() -> PostgresCluster.builder().start());
        CompletableFuture<PostgresCluster> second = CompletableFuture.supplyAsync(() -> PostgresCluster.builder().start());
        try (PostgresCluster a = first.get(); PostgresCluster b = second.get()) {
            assertThat(a.port()).isNotEqualTo(b.port());
            assertThat(a.dataDirectory()).isNotEqualTo(b.dataDirectory());
            String identifier = "select system_identifier::text from pg_control_system()";
            assertThat(a.queryValue(identifier)).as("each is a database system of its own, as after its own initdb")
                    .isNotEqualTo(b.queryValue(identifier));
            for (PostgresCluster cluster : new PostgresCluster[] {a, b}) {
                assertThat(cluster.queryValue("select 1")).isEqualTo("1");
                assertThat(cluster.queryValue("show wal_level")).isEqualTo("logical");
                assertThat(cluster.queryValue("show data_checksums")).isEqualTo("on");
                assertThat(cluster.queryValue("show max_replication_slots")).isEqualTo("10");
                assertThat(cluster.queryValue("show max_wal_senders")).isEqualTo("10");
                assertThat(cluster.queryValue("show listen_addresses")).isEqualTo("127.0.0.1");
                assertThat(cluster.queryValue("show fsync")).as("durability stays real by default").isEqualTo("on");
                assertThat(cluster.queryValue("show server_encoding")).isEqualTo("UTF8");
                assertThat(cluster.queryValue("show lc_collate")).isEqualTo("C.UTF-8");
                assertThat(cluster.queryValue("select current_user")).isEqualTo(cluster.superuser());
                assertThat(cluster.jdbcUrl("app")).isEqualTo("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/app");
                assertThat(cluster.majorVersion()).isEqualTo(
                        Integer.parseInt(cluster.binDirectory().getParent().getFileName().toString()));
                if (OsUser.isRoot()) {
                    assertThat(Files.getOwner(cluster.dataDirectory()).getName()).isEqualTo("postgres");
                }
            }
        }
    }

    @Test
    void builderSettings_takeEffect() {
        try (PostgresCluster cluster = PostgresCluster.builder()
                .setting("fsync", "off")
                .setting("max_connections", "42")
                .setting("cluster_name", "it's quoted")
                .withoutDataChecksums()
                .start()) {
            assertThat(cluster.queryValue("show fsync")).isEqualTo("off");
            assertThat(cluster.queryValue("show max_connections")).isEqualTo("42");
            assertThat(cluster.queryValue("show cluster_name")).isEqualTo("it's quoted");
            assertThat(cluster.queryValue("show data_checksums")).isEqualTo("off");
            assertThat(cluster.queryValue("show wal_level")).as("defaults stay").isEqualTo("logical");
        }
    }

    @Test
    void stopStartRestart_keepTheData_andStopAndStartAreIdempotent() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().start()) {
            cluster.createDatabase("app");
            cluster.execute("app", "create table t (id int primary key); insert into t values (1), (2), (3)");

            cluster.stop();
            assertThat(postmasterPid(cluster)).as("postmaster.pid after stop").isZero();
            assertThatThrownBy(() -> cluster.queryValue("select 1")).isInstanceOf(LifeboatException.class)
                    .hasMessageStartingWith("cannot connect to " + cluster.jdbcUrl("postgres"));
            cluster.stop();

            cluster.start();
            long pid = postmasterPid(cluster);
            cluster.start();
            assertThat(postmasterPid(cluster)).as("start on a running cluster").isEqualTo(pid);
            assertThat(count(cluster, "app")).isEqualTo(3);

            cluster.restart();
            assertThat(postmasterPid(cluster)).isNotIn(0L, pid);
            assertThat(count(cluster, "app")).isEqualTo(3);
        }
    }

    @Test
    void kill_killsThePostmasterAndItsBackends_andStartRecovers() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().start()) {
            cluster.execute("create table t (id int primary key); insert into t select generate_series(1, 1000)");
            long postmaster = postmasterPid(cluster);
            try (Connection idle = cluster.connect()) {
                long backend = backendPid(idle);

                cluster.kill();

                assertThat(ProcessTable.running(postmaster)).as("postmaster " + postmaster + " runs").isFalse();
                assertThat(ProcessTable.running(backend)).as("backend " + backend + " runs").isFalse();
                assertThat(postmastersOf(cluster.dataDirectory())).isEmpty();
            }

            cluster.start();

            assertThat(Files.readString(cluster.logFile())).contains("database system was interrupted")
                    .contains("automatic recovery in progress");
            assertThat(cluster.queryValue("select count(*) from t")).isEqualTo("1000");
        }
    }

    @Test
    void kill_onAStoppedCluster_saysItIsNotRunning() {
        try (PostgresCluster cluster = PostgresCluster.builder().create()) {
            assertThatThrownBy(cluster::kill).isInstanceOf(LifeboatException.class)
                    .hasMessage("cannot kill postgres in " + cluster.dataDirectory() + " (not running)");
        }
    }

    @Test
    void close_removesTheDirectoryAndLeavesNoPostmaster() throws Exception {
        PostgresCluster cluster = PostgresCluster.builder().start();
        Path directory = cluster.dataDirectory().getParent();
        long pid = postmasterPid(cluster);
        assertThat(ProcessTable.running(pid)).isTrue();
        assertThat(postmastersOf(cluster.dataDirectory())).startsWith(pid + " ");

        cluster.close();
        cluster.close();

        assertThat(directory).doesNotExist();
        assertThat(ProcessTable.running(pid)).as("postmaster " + pid + " runs").isFalse();
        assertThat(postmastersOf(cluster.dataDirectory())).isEmpty();
        assertThatThrownBy(cluster::start).hasMessage("postgres cluster " + directory + " is closed");
    }

    @Test
    void jvmKilledWithSigkill_leavesNoPostmasterAndNoDirectory() throws Exception {
        try (ChildJvm child = ChildJvm.start(temp, "cluster", "wait")) {
            String[] started = child.readLine(Duration.ofSeconds(60)).split(" ");
            assertThat(started).hasSize(2);
            Path directory = Path.of(started[0]);
            long postmaster = Long.parseLong(started[1]);
            assertThat(directory.resolve("data/PG_VERSION")).exists();
            assertThat(ProcessTable.running(postmaster)).isTrue();

            child.killHard();

            Poll.until(LIMIT, "postmaster " + postmaster + " of the killed jvm ends",
                    () -> !ProcessTable.running(postmaster));
            Poll.until(LIMIT, directory + " of the killed jvm is removed", () -> !Files.exists(directory));
            assertThat(postmastersOf(directory.resolve("data"))).isEmpty();
        }
    }

    @Test
    void jvmExitingWithoutClose_stopsAndRemovesTheClusterBeforeItEnds() throws Exception {
        try (ChildJvm child = ChildJvm.start(temp, "cluster", "exit")) {
            String[] started = child.readLine(Duration.ofSeconds(60)).split(" ");
            assertThat(started).hasSize(2);

            assertThat(child.awaitExit(LIMIT)).isZero();

            // The shutdown hook waited for the cleanup, so there is nothing to poll for.
            assertThat(ProcessTable.running(Long.parseLong(started[1]))).as("postmaster runs").isFalse();
            assertThat(Path.of(started[0])).doesNotExist();
        }
    }

    @Test
    void parentDirectory_holdsTheCluster() throws IOException {
        Path parent = Files.createDirectory(temp.resolve("clusters"));
        // @TempDir is private to root; user postgres must be able to traverse to its cluster.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (PostgresCluster cluster = PostgresCluster.builder().parentDirectory(parent).start()) {
            assertThat(cluster.dataDirectory()).startsWith(parent);
            assertThat(cluster.logFile()).startsWith(parent).exists();
            assertThat(cluster.queryValue("show data_directory")).isEqualTo(cluster.dataDirectory().toString());
        }
        try (var left = Files.list(parent)) {
            assertThat(left).isEmpty();
        }
    }

    /** Only root runs postgres as another user, so only then can a directory be out of its reach. */
    @Test
    @Tag("root")
    void parentDirectoryPostgresCannotReach_isAClearErrorAsRoot() throws IOException {
        Path parent = Files.createDirectory(temp.resolve("private"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx------"));

        assertThatThrownBy(() -> PostgresCluster.builder().parentDirectory(parent).create())
                .isInstanceOf(LifeboatException.class)
                .hasMessage("user postgres cannot reach " + parent + " (" + parent + " is not searchable by others)");
        try (var left = Files.list(parent)) {
            assertThat(left).as("nothing left under " + parent).isEmpty();
        }
    }

    private static long postmasterPid(PostgresCluster cluster) throws IOException {
        Path pidFile = cluster.dataDirectory().resolve("postmaster.pid");
        return Files.exists(pidFile) ? Long.parseLong(Files.readAllLines(pidFile).get(0).strip()) : 0;
    }

    private static long backendPid(Connection connection) throws Exception {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select pg_backend_pid()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static long count(PostgresCluster cluster, String database) throws Exception {
        try (Connection connection = cluster.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select count(*) from t")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Postmasters serving {@code dataDirectory}, found as an operator would look for them. */
    private static String postmastersOf(Path dataDirectory) {
        String escaped = dataDirectory.toString().replaceAll("[.\\[\\]()*+?^$|{}\\\\]", "\\\\$0");
        return ExternalCommand.of("pgrep", "-a", "-f", "postgres -D " + escaped + "( |$)")
                .runAllowingFailure().stdout().strip();
    }
}
