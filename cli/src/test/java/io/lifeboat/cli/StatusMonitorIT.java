package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.lifeboat.cli.status.Monitor;
import io.lifeboat.cli.status.PrometheusText;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.testkit.PostgresCluster;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lifeboat status, /metrics, /health, /status and alerts against a real master and standby with sync run replicating
 * between them; the service's job rows (a dry-run report, a failed archive, a validation) are inserted as the
 * service would write them.
 */
class StatusMonitorIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void statusMetricsAndAlertsFollowRealReplicationAndTheCatalog() throws Exception {
        List<JsonNode> posted = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            posted.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        Path events = dir.resolve("events.jsonl");
        Path notify = dir.resolve("notify.sh");
        Files.writeString(notify, "#!/bin/sh\n{ printf '%s %s ' \"$LIFEBOAT_EVENT\" \"$LIFEBOAT_SEVERITY\"; cat; } >> "
                + events + "\n");
        notify.toFile().setExecutable(true);
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
                cluster.execute("create table t (id int primary key, v text)");
            }
            String base = """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    recovery: {rpo: 1h}
                    """.formatted(master.port(), standby.port());
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, base + """
                    service:
                      http: 127.0.0.1:0
                      notify:
                        command: %s
                        webhook: http://127.0.0.1:%d/hook
                        repeat: 3s
                        state_file: %s
                        report_at: "00:00"
                    """.formatted(notify, receiver.getAddress().getPort(), dir.resolve("state/alerts.json")));

            // No catalog yet: the check cannot run, which Nagios calls UNKNOWN.
            CommandRun unknown = CommandRun.of("-c", config.toString(), "status", "--nagios");
            assertThat(unknown.exitCode()).isEqualTo(3);
            assertThat(unknown.out()).startsWith("LIFEBOAT UNKNOWN - no Lifeboat catalog of this version on standby");

            Process sync = new ProcessBuilder(ChildJvm.command("384m", List.of("-c", config.toString(), "sync", "run")))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sync.log").toFile()).start();
            try {
                master.execute("insert into t select g, 'v' from generate_series(1, 10) g");
                await(() -> lagUp(CommandRun.of("-c", config.toString(), "status", "--json").out()), 60, "lag up");
                standby.execute("insert into lifeboat.validation (started_at, duration_ms, tables, out_of_sync, detail)"
                        + " values (now(), 5, 1, 0, '[{\"table\": \"public.t\", \"in_sync\": true, \"rows\": 10,"
                        + " \"changed\": 0, \"missing\": 0, \"extra\": 0}]')");
                standby.execute("insert into lifeboat.job (kind, started_at, ended_at, state, detail) values"
                        + " ('dry-run', now() - interval '1 minute', now(), 'succeeded', '" + dryRun() + "')");

                CommandRun ok = CommandRun.of("-c", config.toString(), "status");
                assertThat(ok.exitCode()).as(ok.out()).isZero();
                assertThat(ok.out()).startsWith("lifeboat up").containsPattern("\n  replication +up +lag \\d")
                        .containsPattern("\n    lag +up +\\d+\\.\\ds behind \\([0-9.]+ [KMG]?i?B of WAL\\)")
                        .containsPattern("\n  recovery +up +recoverable by restart-master")
                        .containsPattern("\n    promote-standby +up +ok 127.0.0.1:\\d+, rpo \\d+\\.\\ds");
                CommandRun okLine = CommandRun.of("-c", config.toString(), "status", "--nagios");
                assertThat(okLine.exitCode()).isZero();
                assertThat(okLine.out()).matches("LIFEBOAT OK - recoverable by restart-master \\(rpo [0-9.]+s\\)"
                        + " \\| lag=[0-9.]+s;30;300;0 lag_bytes=\\d+B;;;0 slot_retained=\\d+B;10737418240;;0"
                        + " 'rpo_restart-master'=[0-9.]+s;3600;;0 'rpo_promote-standby'=[0-9.]+s;3600;;0\n");

                // A critical lag limit no real lag stays under: exit 2.
                Path strict = dir.resolve("strict.yml");
                Files.writeString(strict, base + "service: {thresholds: {lag_warning: 1ms, lag_critical: 1ms}}\n");
                CommandRun critical = CommandRun.of("-c", strict.toString(), "status", "--nagios");
                assertThat(critical.exitCode()).as(critical.out()).isEqualTo(2);
                assertThat(critical.out()).startsWith("LIFEBOAT CRITICAL - replication: lag: ");

                LifeboatConfig loaded = ConfigLoader.load(config).config();
                Class.forName("io.lifeboat.replicator.apply.Applier"); // its counters join the global registry
                try (Pools pools = new Pools(loaded)) {
                    Monitor monitor = Monitor.start(loaded, pools, Duration.ofMillis(300), ZoneId.systemDefault());
                    try {
                        await(() -> monitor.status().isPresent(), 10, "a first status");
                        URI http = URI.create("http://127.0.0.1:" + monitor.httpAddress().orElseThrow().getPort());
                        assertThat(get(http.resolve("/health")).statusCode()).isEqualTo(200);
                        // The nightly report is due at once (report_at 00:00, none sent today): exactly one.
                        await(() -> lines(events, "report ").size() == 1, 10, "the nightly report");
                        assertThat(lines(events, "report ").get(0)).contains("lifeboat nightly report: up")
                                .contains("public.t: equal, 10 rows").contains("promote-standby: ok, rpo");

                        standby.execute("insert into lifeboat.job (kind, started_at, ended_at, state, detail) values"
                                + " ('archive', now() - interval '3 seconds', now(), 'failed',"
                                + " '{\"error\": \"cannot upload chunk 1 to s3:primary (connection refused)\"}')");
                        await(() -> lines(events, "firing ").size() == 1, 10, "one firing event");
                        assertThat(lines(events, "firing ").get(0)).startsWith("firing critical {")
                                .contains("\"key\":\"job_failed:archive\"")
                                .contains("archive job failed: cannot upload chunk 1 to s3:primary");
                        // The nightly report went to the webhook too; the job failure is the one firing post.
                        await(() -> firingPosts(posted).size() == 1, 10, "one firing webhook post");
                        JsonNode firing = firingPosts(posted).get(0);
                        JsonNode alert = firing.path("alerts").path(0);
                        assertThat(firing.path("version").asText()).isEqualTo("4");
                        assertThat(firing.path("status").asText()).isEqualTo("firing");
                        assertThat(alert.path("labels").path("alertname").asText()).isEqualTo("LifeboatJobFailed");
                        assertThat(alert.path("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");

                        HttpResponse<String> metrics = get(http.resolve("/metrics"));
                        assertThat(metrics.headers().firstValue("Content-Type").orElse(""))
                                .startsWith("text/plain; version=0.0.4");
                        PrometheusText text = PrometheusText.parse(metrics.body());
                        assertThat(text.type("lifeboat_build_info")).isEqualTo("gauge");
                        assertThat(text.value("lifeboat_replication_lag_seconds", Map.of())).isBetween(0.0, 30.0);
                        assertThat(text.value("lifeboat_replication_lag_bytes", Map.of())).isGreaterThanOrEqualTo(0);
                        assertThat(text.value("lifeboat_replication_slot_retained_bytes", Map.of())).isPositive();
                        assertThat(text.type("lifeboat_replication_applied_rows_total")).isEqualTo("counter");
                        assertThat(text.type("lifeboat_replication_apply_errors_total")).isEqualTo("counter");
                        assertThat(text.value("lifeboat_job_failures_total", Map.of("job", "archive"))).isEqualTo(1);
                        assertThat(text.value("lifeboat_job_duration_seconds", Map.of("job", "archive")))
                                .isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.5));
                        assertThat(text.value("lifeboat_job_last_success_timestamp_seconds", Map.of("job", "archive")))
                                .isNaN();
                        assertThat(text.value("lifeboat_source_verified", Map.of("rung", "promote-standby")))
                                .isEqualTo(1);
                        assertThat(text.value("lifeboat_source_rpo_seconds", Map.of("rung", "promote-standby")))
                                .isBetween(0.0, 30.0);
                        assertThat(text.value("lifeboat_rpo_target_seconds", Map.of())).isEqualTo(3600);
                        assertThat(text.value("lifeboat_status", Map.of("component", "jobs"))).isEqualTo(1);
                        assertThat(text.value("lifeboat_status", Map.of("component", "overall"))).isEqualTo(1);
                        assertThat(get(http.resolve("/health")).statusCode()).isEqualTo(200);
                        JsonNode status = JSON.readTree(get(http.resolve("/status")).body());
                        assertThat(status.path("status").asText()).isEqualTo("warn");
                        assertThat(status.path("exit_code").asInt()).isEqualTo(1);
                    } finally {
                        monitor.close();
                    }

                    // A restart while the job is still failing sends nothing new; the reminder comes after repeat.
                    Monitor again = Monitor.start(loaded, pools, Duration.ofMillis(300), ZoneId.systemDefault());
                    try {
                        Thread.sleep(1000);
                        assertThat(lines(events, "firing ")).hasSize(1);
                        assertThat(lines(events, "report ")).hasSize(1);
                        await(() -> lines(events, "reminder ").size() == 1, 10, "one reminder");
                        assertThat(lines(events, "firing ")).hasSize(1);

                        standby.execute("insert into lifeboat.job (kind, started_at, ended_at, state) values"
                                + " ('archive', now() - interval '2 seconds', now(), 'succeeded')");
                        standby.execute("insert into lifeboat.validation (started_at, duration_ms, tables, out_of_sync,"
                                + " detail) values (now(), 5, 1, 1, '[{\"table\": \"public.t\", \"in_sync\": false,"
                                + " \"rows\": 10, \"changed\": 1, \"missing\": 0, \"extra\": 0}]')");
                        await(() -> lines(events, "resolved ").size() == 1, 10, "the failure resolved");
                        assertThat(lines(events, "resolved ").get(0)).startsWith("resolved info {")
                                .contains("\"key\":\"job_failed:archive\"");
                        await(() -> lines(events, "firing ").size() == 2, 10, "the validation alert");
                        assertThat(lines(events, "firing ").get(1)).contains("\"key\":\"table_out_of_sync:public.t\"")
                                .contains("repair it: lifeboat -c " + config + " sync resync --table public.t");
                        await(() -> posted.stream().anyMatch(p -> p.path("status").asText().equals("resolved")),
                                10, "a resolved webhook post");
                    } finally {
                        again.close();
                    }
                }
                CommandRun warned = CommandRun.of("-c", config.toString(), "status");
                assertThat(warned.exitCode()).isEqualTo(1);
                assertThat(warned.out()).containsPattern("\n  validation +warn +1 of 1 tables out of sync")
                        .contains("public.t", "out of sync; repair: lifeboat -c " + config
                                + " sync resync --table public.t");
            } finally {
                sync.destroy();
                assertThat(sync.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            receiver.stop(0);
        }
    }

    private static List<JsonNode> firingPosts(List<JsonNode> posted) {
        return posted.stream().filter(post -> post.path("commonAnnotations").path("event").asText().equals("firing"))
                .toList();
    }

    private static boolean lagUp(String json) {
        try {
            for (JsonNode component : JSON.readTree(json).path("components")) {
                for (JsonNode line : component.path("children")) {
                    if (component.path("name").asText().equals("replication") && line.path("name").asText()
                            .equals("lag")) {
                        return line.path("status").asText().equals("up");
                    }
                }
            }
            return false;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String dryRun() {
        java.time.Instant now = java.time.Instant.now();
        return """
                {"outcome": "dry-run", "chosen": {"rung": "restart-master", "candidate": "master"}, "rungs": [
                 {"rung": "restart-master", "candidate": "master", "state": "ok", "reason": "running",
                  "master_time": "%s", "data_loss_seconds": 0, "data_loss_bytes": 0},
                 {"rung": "promote-standby", "candidate": "127.0.0.1:5433", "state": "ok", "reason": "",
                  "master_time": "%s", "data_loss_seconds": 0.5, "data_loss_bytes": 100}]}
                """.formatted(now, now).replace("'", "''");
    }

    private static List<String> lines(Path file, String prefix) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith(prefix)).toList() : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + "s waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
