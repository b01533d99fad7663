package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.server.AmcheckReport;
import io.lifeboat.core.server.ControlData;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.core.server.ServerStartException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server handle recovery and the snapshot clones use, on real data directories made by the test kit. */
class PostgresServerIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @Test
    void startQueryAmcheckCrashAndStartAgain_onItsOwnDirectory() {
        try (LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().create()) {
            PostgresServer server = PostgresServer.at(cluster.dataDirectory());
            assertThat(server.osUser()).isEqualTo(io.lifeboat.core.process.OsUser.isRoot() ? "postgres"
                    : io.lifeboat.core.process.OsUser.current());
            assertThat(server.majorVersion()).isGreaterThanOrEqualTo(13);
            assertThat(server.running()).isFalse();
            assertThat(server.controlData().cleanlyShutDown()).isTrue();

            // Socket only: nothing but this test can reach it.
            Map<String, String> privately = Map.of("listen_addresses", "",
                    "unix_socket_directories", cluster.socketDirectory().toString());
            server.start(privately, LIMIT);
            assertThat(server.running()).isTrue();
            assertThat(server.endpoint().port()).isEqualTo(cluster.port());
            assertThat(server.endpoint().socketDirectory()).contains(cluster.socketDirectory());
            assertThat(server.endpoint().listenAddresses()).isEmpty();
            server.awaitAccepting(LIMIT);
            server.awaitWritable(LIMIT);
            server.query("postgres", "CREATE TABLE docs (id int PRIMARY KEY, words tsvector)");
            server.query("postgres", "CREATE INDEX docs_words ON docs USING gin (words)");
            server.query("postgres", "INSERT INTO docs SELECT g, to_tsvector('word ' || g) FROM generate_series(1, 500) g");
            assertThat(server.query("postgres", "SELECT count(*) FROM docs").strip()).isEqualTo("500");

            AmcheckReport amcheck = server.amcheck(LIMIT);
            assertThat(amcheck.clean()).as(amcheck.summary()).isTrue();
            assertThat(amcheck.notChecked()).contains("template0 (takes no connections)", "template1 (a template)",
                    "1 gin index in postgres");
            assertThat(amcheck.summary()).startsWith("pg_amcheck --heapallindexed clean; not checked: ");

            server.stopImmediately();
            assertThat(server.running()).isFalse();
            ControlData crashed = server.controlData();
            assertThat(crashed.needsCrashRecovery()).as(crashed.state()).isTrue();
            server.start(privately, LIMIT);
            assertThat(server.query("postgres", "SELECT count(*) FROM docs").strip()).isEqualTo("500");
            server.stop(LIMIT);
            server.stop(LIMIT);
            assertThat(server.controlData().cleanlyShutDown()).isTrue();
        }
    }

    @Test
    void badSetting_failsWithTheServersOwnReason_andLeavesNothingRunning() {
        try (LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().create()) {
            PostgresServer server = PostgresServer.at(cluster.dataDirectory());
            assertThatThrownBy(() -> server.start(Map.of("shared_preload_libraries", "no_such_library",
                    "listen_addresses", "", "unix_socket_directories", cluster.socketDirectory().toString()), LIMIT))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageStartingWith("PostgreSQL does not start on " + cluster.dataDirectory() + ": FATAL:")
                    .hasMessageContaining("no_such_library");
            assertThat(server.running()).isFalse();
        }
    }

    @Test
    void copyStartedAsStandby_isPromotedAndWritable() throws Exception {
        try (LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().start()) {
            cluster.execute("CREATE TABLE t AS SELECT 1 AS id");
            cluster.stop();
            Path copy = cluster.directory().resolve("copy");
            ExternalCommand.of("cp", "-a", cluster.dataDirectory().toString(), copy.toString())
                    .timeout(LIMIT).run();
            Files.writeString(copy.resolve("standby.signal"), "");
            PostgresServer standby = PostgresServer.at(copy);
            standby.start(Map.of("listen_addresses", "", "unix_socket_directories",
                    cluster.socketDirectory().toString()), LIMIT);
            try {
                assertThat(standby.query("postgres", "SELECT pg_is_in_recovery()").strip()).isEqualTo("t");
                standby.promote(LIMIT);
                standby.query("postgres", "INSERT INTO t VALUES (2)");
                assertThat(standby.query("postgres", "SELECT count(*) FROM t").strip()).isEqualTo("2");
            } finally {
                standby.stopImmediately();
            }
        }
    }

    @Test
    void aDirectoryTheServersUserCannotEnter_isNotAStartFailure() throws Exception {
        try (LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().create()) {
            // Root's private directory: the postgres OS user cannot pass through it to the copy inside.
            Path closed = Files.createTempDirectory("lifeboat-closed-");
            try {
                Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                Path copy = closed.resolve("copy");
                ExternalCommand.of("cp", "-a", cluster.dataDirectory().toString(), copy.toString()).timeout(LIMIT).run();
                PostgresServer server = PostgresServer.at(copy);
                assertThatThrownBy(() -> server.start(Map.of("listen_addresses", ""), LIMIT))
                        .isNotInstanceOf(ServerStartException.class)
                        .hasMessage("the OS user " + server.osUser() + " cannot enter " + copy
                                + " (a parent directory's owner or mode keeps it out)");
            } finally {
                ExternalCommand.of("rm", "-rf", closed.toString()).timeout(LIMIT).run();
            }
        }
    }

    @Test
    void aStalePidFileWhosePidIsNowAnotherProcess_isNotARunningServer() throws Exception {
        try (LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().create()) {
            // After a crash the pid in postmaster.pid can belong to any process of the same user: pg_ctl says running.
            Process other = new ProcessBuilder("setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups",
                    "sleep", "60").start();
            Path pidFile = cluster.dataDirectory().resolve("postmaster.pid");
            try {
                Files.writeString(pidFile, other.pid() + "\n" + cluster.dataDirectory() + "\n");
                assertThat(PostgresServer.at(cluster.dataDirectory()).running()).isFalse();
            } finally {
                Files.deleteIfExists(pidFile);
                other.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void notADataDirectory_isOneLine() throws Exception {
        Path empty = Files.createTempDirectory("lifeboat-not-pg-");
        try {
            assertThatThrownBy(() -> PostgresServer.at(empty))
                    .hasMessage("no PostgreSQL data directory at " + empty + " (no PG_VERSION)");
        } finally {
            Files.delete(empty);
        }
    }
}
