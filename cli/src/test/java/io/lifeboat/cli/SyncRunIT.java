package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lifeboat sync run} as its own process: one run per slot (a second refuses at once, naming the first, even
 * when both start together), and a clean stop on SIGTERM or SIGINT exits 0 with the position saved.
 */
class SyncRunIT {
    private static final Pattern STOPPED = Pattern.compile("replication stopped at ([0-9A-F]+/[0-9A-F]+)");

    @TempDir
    Path dir;
    private PostgresCluster master;
    private PostgresCluster standby;
    private Path config;

    @BeforeEach
    void clusters() throws IOException {
        master = PostgresCluster.builder().start();
        standby = PostgresCluster.builder().start();
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.execute("create table t (id int primary key, v text)");
        }
        master.execute("insert into t select g, 'v' from generate_series(1, 10) g");
        config = dir.resolve("lifeboat.yml");
        Files.writeString(config, """
                master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                """.formatted(master.port(), standby.port()));
    }

    @AfterEach
    void stopClusters() {
        master.close();
        standby.close();
    }

    private ChildCommand syncRun(String name) throws IOException {
        return ChildCommand.startShortLived(dir.resolve(name + ".log"), "-c", config.toString(), "sync", "run");
    }

    private long standbyRows() {
        return Long.parseLong(standby.queryValue("select count(*) from t"));
    }

    private String appliedPosition() {
        return standby.queryValue("select lsn::text from lifeboat.applied_position where slot_name = 'lifeboat'");
    }

    private static String refusal(ChildCommand running) {
        return "error: slot lifeboat is in use by another sync run \\(pid " + running.pid()
                + " on 127.0.0.1, since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)";
    }

    @Test
    void secondRunRefusesAtOnceNamingTheFirst_andSigtermThenSigintStopCleanlyWithExitZero() throws Exception {
        ChildCommand first = syncRun("first");
        ChildCommand second = null;
        ChildCommand third = null;
        try {
            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> standbyRows() == 10))
                    .as(first.output()).isTrue();

            // Bounded by the JVM's start on a loaded machine; the old behaviour was to retry every 10 s forever.
            second = syncRun("second");
            assertThat(second.exitCode(Duration.ofSeconds(60))).as(second.output()).isEqualTo(2);
            List<String> errors = second.lines().stream().filter(line -> line.startsWith("error:")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).matches(refusal(first));
            assertThat(second.lines()).contains(
                    "hint: stop that one first: two runs on one slot would copy and apply over each other");
            // Refused before doing anything: no copy, no stream, no catalog work, no stack trace.
            assertThat(second.output()).doesNotContain("initial sync", "replicating", "Exception", "\tat ");
            assertThat(first.process().isAlive()).isTrue();

            master.execute("insert into t select g, 'w' from generate_series(11, 20) g");
            assertThat(ChildCommand.await(Duration.ofSeconds(30), () -> standbyRows() == 20)).isTrue();
            first.signal("TERM");
            assertThat(first.exitCode(Duration.ofSeconds(40))).as(first.output()).isZero();
            assertThat(stoppedAt(first)).isEqualTo(appliedPosition());

            // The lock went with the first run: a new one starts, resumes from the saved position without a new
            // initial sync, and stops on SIGINT (Ctrl-C) with exit 0 as well.
            third = syncRun("third");
            master.execute("insert into t select g, 'x' from generate_series(21, 30) g");
            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> standbyRows() == 30))
                    .as(third.output()).isTrue();
            third.signal("INT");
            assertThat(third.exitCode(Duration.ofSeconds(40))).as(third.output()).isZero();
            assertThat(third.output()).doesNotContain("initial sync", "ERROR", "\tat ").contains("SIGINT: stopping");
            assertThat(stoppedAt(third)).isEqualTo(appliedPosition());
        } finally {
            first.destroy();
            if (second != null) {
                second.destroy();
            }
            if (third != null) {
                third.destroy();
            }
        }
    }

    @Test
    void twoRunsStartedTogether_exactlyOneReplicatesAndTheOtherRefuses() throws Exception {
        ChildCommand one = syncRun("one");
        ChildCommand two = syncRun("two");
        try {
            assertThat(ChildCommand.await(Duration.ofSeconds(60),
                    () -> !one.process().isAlive() || !two.process().isAlive())).isTrue();
            ChildCommand refused = one.process().isAlive() ? two : one;
            ChildCommand running = refused == one ? two : one;
            assertThat(refused.exitCode(Duration.ofSeconds(5))).as(refused.output()).isEqualTo(2);
            assertThat(refused.lines().stream().filter(line -> line.startsWith("error:")).toList())
                    .singleElement().asString().matches(refusal(running));
            assertThat(refused.output()).doesNotContain("initial sync", "replicating", "\tat ");

            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> standbyRows() == 10))
                    .as(running.output()).isTrue();
            master.execute("insert into t values (11, 'after')");
            assertThat(ChildCommand.await(Duration.ofSeconds(30), () -> standbyRows() == 11)).isTrue();
            assertThat(running.output()).containsOnlyOnce("initial sync: 2 tables");
            running.signal("TERM");
            assertThat(running.exitCode(Duration.ofSeconds(40))).as(running.output()).isZero();
        } finally {
            one.destroy();
            two.destroy();
        }
    }

    @Test
    void aRunWhoseLockSessionIsLost_takesTheLockAgain_orStopsWhenAnotherTookIt() throws Exception {
        ChildCommand run = syncRun("run");
        try {
            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> standbyRows() == 10)).as(run.output()).isTrue();
            // What a standby restart does to the lock's session, without stopping the rest of replication.
            terminateLockSession();
            assertThat(ChildCommand.await(Duration.ofSeconds(30),
                    () -> run.output().contains("slot lifeboat: lock on the standby taken again")))
                    .as(run.output()).isTrue();
            ChildCommand refused = syncRun("refused");
            assertThat(refused.exitCode(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(refused.output()).containsPattern(refusal(run));

            // Another run gets in while the session is gone: this one stops rather than apply beside it.
            try (Connection other = otherRun()) {
                boolean taken = false;
                for (int attempt = 0; attempt < 20 && !taken; attempt++) {
                    terminateLockSession();
                    taken = "t".equals(value(other, "select pg_try_advisory_lock(hashtext('lifeboat sync run'),"
                            + " hashtext('lifeboat'))"));
                }
                assertThat(taken).isTrue();
                assertThat(run.exitCode(Duration.ofSeconds(60))).as(run.output()).isEqualTo(2);
                assertThat(run.lines()).contains("error: slot lifeboat was taken by another sync run (pid 999 on"
                                + " 127.0.0.1, since " + value(other, "select to_char(backend_start at time zone 'UTC',"
                                + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') from pg_stat_activity where pid = pg_backend_pid()")
                                + ") while this run's session on the standby was lost; this run stopped",
                        "hint: one sync run per slot: check what runs where");
            }
        } finally {
            run.destroy();
        }
    }

    @Test
    void aMasterNotUpYet_isWaitedFor_thenChecksAndReplication() throws Exception {
        master.stop();
        ChildCommand run = syncRun("run");
        try {
            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> run.output().contains(
                    "cannot connect to master 127.0.0.1:" + master.port() + " (connection refused); trying again in")))
                    .as(run.output()).isTrue();
            assertThat(run.process().isAlive()).isTrue();
            master.start();
            assertThat(ChildCommand.await(Duration.ofSeconds(90), () -> standbyRows() == 10)).as(run.output()).isTrue();
            run.signal("TERM");
            assertThat(run.exitCode(Duration.ofSeconds(40))).as(run.output()).isZero();
        } finally {
            run.destroy();
        }
    }

    private void terminateLockSession() {
        standby.queryValue("select count(pg_terminate_backend(pid)) from pg_stat_activity"
                + " where application_name like 'lifeboat sync run %' and application_name <> 'lifeboat sync run 999'");
    }

    /** A session that looks like another sync run's lock session (pid 999). */
    private Connection otherRun() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", standby.superuser());
        properties.setProperty("ApplicationName", "lifeboat sync run 999");
        return DriverManager.getConnection(standby.jdbcUrl("postgres"), properties);
    }

    private static String value(Connection connection, String sql) {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stoppedAt(ChildCommand run) {
        Matcher matcher = STOPPED.matcher(run.output());
        assertThat(matcher.find()).as(run.output()).isTrue();
        return matcher.group(1);
    }
}
