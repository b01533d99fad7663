package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStatusIT {
    @TempDir
    Path dir;

    @Test
    void statusIsCriticalBeforeReplicationAndHealthyWhileItRuns() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
                cluster.execute("create table t (id int primary key, v text)");
            }
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));

            CommandRun before = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(before.exitCode()).isEqualTo(2);
            assertThat(before.out()).startsWith("replication: critical\n")
                    .contains("  ! no slot lifeboat on master: replication has not started (run sync run)")
                    .contains("  ! the standby has no applied position: the initial sync has not completed")
                    .containsPattern("public.t\\s+pushdelta\\s+streaming\\s+0");

            Process sync = new ProcessBuilder(ChildJvm.command("384m", List.of("-c", config.toString(), "sync", "run")))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sync.log").toFile()).start();
            try {
                master.execute("insert into t select g, 'v' from generate_series(1, 10) g");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                CommandRun healthy = CommandRun.of("-c", config.toString(), "sync", "status", "--json");
                while (!(healthy.exitCode() == 0 && healthy.out().contains("\"lag_seconds\" : 0"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(300);
                    healthy = CommandRun.of("-c", config.toString(), "sync", "status", "--json");
                }
                assertThat(healthy.exitCode()).as(healthy.out()).isZero();
                assertThat(healthy.out()).contains("\"health\" : \"healthy\"", "\"problems\" : [ ]",
                        "\"active\" : true", "\"table\" : \"public.t\"", "\"rows\" : 10");

                // The same state against a tiny limit: the WAL the slot holds back is a warning.
                Path strict = dir.resolve("strict.yml");
                Files.writeString(strict, Files.readString(config) + "replication: {retained_wal_warning: 1B}\n");
                CommandRun warned = CommandRun.of("-c", strict.toString(), "sync", "status");
                assertThat(warned.exitCode()).isEqualTo(1);
                assertThat(warned.out()).startsWith("replication: warning\n")
                        .containsPattern("  ! slot lifeboat retains [0-9.]+ [KMG]?i?B of WAL on master \\(warning at 1B\\)");
            } finally {
                sync.destroy();
                assertThat(sync.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(sync.exitValue()).as("exit code after SIGTERM").isZero();
            CommandRun stopped = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(stopped.exitCode()).isEqualTo(1);
            assertThat(stopped.out()).startsWith("replication: warning\n")
                    .contains("  ! slot lifeboat is not in use: is sync run running?");
        }
    }

    private static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    @Test
    void withOneServerDown_statusShowsWhatTheOtherCanTellAndExitsTwo() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
                cluster.execute("create table t (id int primary key, v text)");
            }
            master.execute("insert into t select g, 'v' from generate_series(1, 10) g");
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));
            ChildCommand sync = ChildCommand.start(dir.resolve("sync.log"), "-c", config.toString(), "sync", "run");
            try {
                assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> CommandRun.of("-c", config.toString(),
                        "sync", "status").exitCode() == 0)).as(sync.output()).isTrue();
                sync.signal("TERM");
                assertThat(sync.exitCode(Duration.ofSeconds(40))).isZero();
            } finally {
                sync.destroy();
            }
            String applied = standby.queryValue("select lsn::text from lifeboat.applied_position");
            String beatAt = standby.queryValue("select to_char(beat_at at time zone 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from lifeboat.heartbeat");

            master.stop();
            CommandRun text = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(text.exitCode()).isEqualTo(2);
            assertThat(text.err()).isEmpty();
            List<String> lines = text.out().lines().toList();
            assertThat(lines.subList(0, 3)).containsExactly("replication: critical",
                    "  ! master unreachable: cannot connect to master 127.0.0.1:" + master.port()
                            + " (connection refused)",
                    "lag:      unknown (master unreachable)");
            assertThat(lines.get(3)).matches("at risk:  master transactions after " + Pattern.quote(beatAt)
                    + " \\([0-9.]+ s ago, the newest heartbeat applied\\) may be missing on the standby");
            assertThat(lines.get(4)).matches("applied:  " + Pattern.quote(applied) + " at " + ISO
                    + "; master unreachable");
            assertThat(lines.subList(5, lines.size())).containsExactly(
                    "slot:     lifeboat: unknown (master unreachable)",
                    "checked:  never validated (run lifeboat sync validate)",
                    "TABLE     MODE       STATE      ROWS ON STANDBY",
                    "public.t  pushdelta  unknown    10");

            CommandRun json = CommandRun.of("-c", config.toString(), "sync", "status", "--json");
            assertThat(json.exitCode()).isEqualTo(2);
            JsonNode root = new ObjectMapper().readTree(json.out());
            assertThat(root.path("health").asText()).isEqualTo("critical");
            assertThat(root.path("master_unreachable").asText())
                    .isEqualTo("cannot connect to master 127.0.0.1:" + master.port() + " (connection refused)");
            assertThat(root.path("standby_unreachable").isNull()).isTrue();
            assertThat(root.path("applied_lsn").asText()).isEqualTo(applied);
            assertThat(root.path("heartbeat_at").asText()).isEqualTo(beatAt);
            assertThat(root.path("data_at_risk_since").asText()).isEqualTo(beatAt);
            assertThat(root.path("heartbeat_age_seconds").asDouble()).isPositive();
            assertThat(root.path("master_lsn").isNull()).isTrue();
            assertThat(root.path("slot").isNull()).isTrue();
            assertThat(root.path("tables").get(0).path("rows").asLong()).isEqualTo(10);

            // The other way round: the master tells what the standby confirmed and what the slot holds.
            master.start();
            standby.stop();
            CommandRun masterOnly = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(masterOnly.exitCode()).isEqualTo(2);
            assertThat(masterOnly.out()).startsWith("replication: critical\n  ! standby unreachable: cannot connect to"
                            + " standby 127.0.0.1:" + standby.port() + " (connection refused)\n")
                    .contains("lag:      unknown (standby unreachable)\n", "checked:  unknown (standby unreachable)\n")
                    .containsPattern("applied:  unknown \\(standby unreachable\\); at least [0-9A-F]+/[0-9A-F]+"
                            + " \\(confirmed to the master\\); master at [0-9A-F]+/[0-9A-F]+, .* behind")
                    .containsPattern("slot:     lifeboat, inactive, wal reserved, retains .* of WAL")
                    .contains("public.t  pushdelta  unknown    unknown");
            JsonNode masterJson = new ObjectMapper().readTree(
                    CommandRun.of("-c", config.toString(), "sync", "status", "--json").out());
            assertThat(masterJson.path("standby_unreachable").asText()).startsWith("cannot connect to standby");
            assertThat(masterJson.path("slot").path("confirmed_flush_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(masterJson.path("applied_lsn").isNull()).isTrue();
            assertThat(masterJson.path("tables").get(0).path("rows").isNull()).isTrue();
        }
    }

    @Test
    void aLargeTransactionBeingApplied_showsItsRowsSoFar_andAStaleReportDoesNot() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));
            assertThat(CommandRun.of("-c", config.toString(), "catalog", "migrate").exitCode()).isZero();
            // What the applier writes while it applies a large master transaction (the lead's V6 contract).
            long inserted = System.nanoTime();
            standby.execute("insert into lifeboat.apply_progress values ('lifeboat', 7321, 180000,"
                    + " now() - interval '2 minutes 3 seconds', now())");

            CommandRun text = CommandRun.of("-c", config.toString(), "sync", "status");
            long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - inserted) + 1;
            java.util.regex.Matcher shown = Pattern.compile("\napplying: master transaction 7321:"
                    + " 180,000 rows so far in 2m(\\d+)s \\(since " + ISO + "\\), visible at its commit\n")
                    .matcher(text.out());
            assertThat(shown.find()).as(text.out()).isTrue();
            // 2m3s when the row was written, plus however long the command took to start on a loaded machine.
            assertThat(Long.parseLong(shown.group(1))).isBetween(3L, 3L + elapsed);
            JsonNode progress = new ObjectMapper().readTree(
                    CommandRun.of("-c", config.toString(), "sync", "status", "--json").out()).path("in_progress");
            assertThat(progress.path("transaction_id").asLong()).isEqualTo(7321);
            assertThat(progress.path("rows_applied").asLong()).isEqualTo(180000);
            assertThat(progress.path("started_at").asText()).matches(ISO);
            assertThat(progress.path("running_seconds").asDouble()).isBetween(123.0, 180.0);

            // Left behind by a run that stopped mid-transaction: not a transaction in progress.
            standby.execute("update lifeboat.apply_progress set updated_at = now() - interval '5 minutes'");
            assertThat(CommandRun.of("-c", config.toString(), "sync", "status").out()).doesNotContain("applying:");
            assertThat(new ObjectMapper().readTree(CommandRun.of("-c", config.toString(), "sync", "status",
                    "--json").out()).path("in_progress").isNull()).isTrue();
        }
    }
}
