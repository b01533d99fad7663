package io.lifeboat.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusMetricsTest {
    @TempDir
    Path dir;

    static LifeboatConfig config(Path dir, String extra) throws Exception {
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: 5432, database: app, user: lifeboat}
                standby: {host: 127.0.0.1, port: 5433, database: app, user: lifeboat}
                recovery: {rpo: 1m}
                """ + extra);
        return ConfigLoader.load(file, Map.of()).config();
    }

    static Readings readings(Instant now) throws Exception {
        String report = """
                {"outcome": "dry-run", "rungs": [
                  {"rung": "restart-master", "candidate": "/srv/pg", "state": "ok", "reason": "running",
                   "master_time": "%s"},
                  {"rung": "promote-standby", "candidate": "127.0.0.1:5433", "state": "ok", "reason": "",
                   "master_time": "%s"},
                  {"rung": "latest-snapshot", "candidate": "lifeboat-x", "state": "unavailable",
                   "reason": "no snapshots block", "master_time": null},
                  {"rung": "offsite-dump", "candidate": "20260101T010000Z", "state": "ok", "reason": "",
                   "master_time": "%s"}]}
                """.formatted(now.minusSeconds(100), now.minusSeconds(100), now.minus(Duration.ofHours(5)));
        Readings.Replication replication = new Readings.Replication(Optional.of(now.minusMillis(500)),
                OptionalLong.of(16384), OptionalLong.of(1 << 20), Optional.of(now.minusMillis(400)), List.of());
        Readings.Run ok = new Readings.Run(1, "succeeded", now.minusSeconds(70), now.minusSeconds(60), "");
        Readings.Run failed = new Readings.Run(2, "failed", now.minusSeconds(20), now.minusSeconds(17), "s3 down");
        return new Readings(now, replication, Map.of(
                "archive", new Readings.Job("archive", Optional.of(failed), Optional.of(ok), 3)),
                Optional.of(new Readings.Validation(now.minusSeconds(30), 4, List.of())),
                Optional.of(new Readings.DryRun(now.minusSeconds(90), new ObjectMapper().readTree(report))),
                Optional.empty(), List.of(new Readings.Archive("primary", Optional.empty(), 1,
                Optional.of(new Readings.Backup("20260101T010000Z", now.minus(Duration.ofHours(5)), 12345)),
                Optional.empty(), List.of("20260101T010000Z"))));
    }

    @Test
    void scrape_namesEveryMetricOnceWithItsTypeAndValue() throws Exception {
        Instant now = Instant.now();
        Status status = StatusTree.judge(readings(now), config(dir, ""));
        try (StatusMetrics metrics = new StatusMetrics()) {
            metrics.update(status);
            PrometheusText text = PrometheusText.parse(metrics.scrape());
            assertThat(text.type("lifeboat_build_info")).isEqualTo("gauge");
            assertThat(text.type("lifeboat_replication_lag_seconds")).isEqualTo("gauge");
            assertThat(text.value("lifeboat_replication_lag_seconds", Map.of())).isCloseTo(0.4, within(0.05));
            assertThat(text.value("lifeboat_replication_lag_bytes", Map.of())).isEqualTo(16384);
            assertThat(text.value("lifeboat_replication_slot_retained_bytes", Map.of())).isEqualTo(1 << 20);
            assertThat(text.type("lifeboat_job_failures_total")).isEqualTo("counter");
            assertThat(text.value("lifeboat_job_failures_total", Map.of("job", "archive"))).isEqualTo(3);
            assertThat(text.value("lifeboat_job_failures_total", Map.of("job", "snapshot"))).isEqualTo(0);
            assertThat(text.value("lifeboat_job_duration_seconds", Map.of("job", "archive"))).isEqualTo(3);
            assertThat(text.value("lifeboat_job_last_success_timestamp_seconds", Map.of("job", "archive")))
                    .isCloseTo(now.minusSeconds(60).toEpochMilli() / 1000.0, within(0.01));
            assertThat(text.value("lifeboat_archive_size_bytes", Map.of("target", "primary"))).isEqualTo(12345);
            assertThat(text.value("lifeboat_source_rpo_seconds", Map.of("rung", "offsite-dump")))
                    .isCloseTo(5 * 3600, within(1.0));
            assertThat(text.value("lifeboat_source_verified", Map.of("rung", "latest-snapshot"))).isEqualTo(0);
            assertThat(text.value("lifeboat_source_verified", Map.of("rung", "offsite-dump"))).isEqualTo(1);
            assertThat(text.value("lifeboat_rpo_target_seconds", Map.of())).isEqualTo(60);
            assertThat(text.value("lifeboat_status", Map.of("component", "jobs"))).isEqualTo(1);
            assertThat(text.value("lifeboat_status", Map.of("component", "overall"))).isEqualTo(1);
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double d) {
        return org.assertj.core.data.Offset.offset(d);
    }
}
