package io.lifeboat.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.db.Lsn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The choice each policy makes, and the consent rule, on assessments made by hand. */
class LadderReportTest {
    private static final Instant T = Instant.parse("2026-11-22T02:00:00Z");
    private static final Position REFERENCE = Position.of(Lsn.parse("0/5000000"), T.plusSeconds(600));

    @TempDir
    Path dir;

    private RecoveryContext context(String recovery, RecoveryOptions options) throws IOException {
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, """
                master: {host: 10.0.0.5, database: app, user: lifeboat}
                standby: {host: 10.0.0.6, database: app, user: lifeboat}
                recovery:
                """ + recovery.indent(2));
        return new RecoveryContext(ConfigLoader.load(file, Map.of()).config(), options, Clock.systemUTC(),
                () -> new char[0]);
    }

    private static Assessment healthy(String rung, String candidate, String lsn, int secondsAfter, int expected) {
        Probe probe = Probe.present(rung, candidate, "there", Position.of(Lsn.parse(lsn), T.plusSeconds(secondsAfter)));
        Verification verification = Verification.ok("fine", probe.position(), Duration.ofSeconds(expected));
        return Assessment.verified(probe, verification, DataLoss.between(probe.position(), REFERENCE),
                Optional.of(Duration.ofSeconds(expected)));
    }

    private static Assessment unavailable(String rung) {
        return Assessment.probed(Probe.unavailable(rung, rung, "gone"), DataLoss.UNKNOWN);
    }

    private final List<Assessment> ladder = List.of(
            unavailable("restart-master"),
            healthy("promote-standby", "standby 10.0.0.6:5432/app", "0/4F00000", 300, 5),
            healthy("latest-snapshot", "lifeboat-2026-11-22_02-09-00Z", "0/4FF0000", 540, 30),
            healthy("offsite-dump", "s3:primary/20261122T020000Z", "0/1000000", 0, 300));

    @Test
    void firstHealthy_takesLadderOrder_leastDataLoss_takesTheNewest() throws IOException {
        try (RecoveryContext context = context("prefer: first-healthy", RecoveryOptions.NONE)) {
            LadderReport report = LadderReport.of(ladder, new Reference(REFERENCE, "the standby's catalog"), context);
            assertThat(report.chosen().orElseThrow().rung()).isEqualTo("promote-standby");
            assertThat(report.leastDataLoss().orElseThrow().rung()).isEqualTo("latest-snapshot");
            assertThat(report.choiceLine()).isEqualTo("--auto would take: promote-standby standby 10.0.0.6:5432/app,"
                    + " losing 5m00s, 1.0 MiB of WAL (prefer first-healthy; least-data-loss would take"
                    + " latest-snapshot lifeboat-2026-11-22_02-09-00Z)");
        }
        try (RecoveryContext context = context("prefer: least-data-loss", RecoveryOptions.NONE)) {
            LadderReport report = LadderReport.of(ladder, new Reference(REFERENCE, "the standby's catalog"), context);
            assertThat(report.chosen().orElseThrow().rung()).isEqualTo("latest-snapshot");
            assertThat(report.choiceLine()).endsWith("(prefer least-data-loss; first-healthy would take"
                    + " promote-standby standby 10.0.0.6:5432/app)");
        }
    }

    @Test
    void equalLoss_goesToTheQuickerOne() throws IOException {
        List<Assessment> tie = List.of(healthy("latest-snapshot", "a", "0/4000000", 100, 60),
                healthy("offsite-dump", "b", "0/4000000", 100, 20));
        try (RecoveryContext context = context("prefer: least-data-loss", RecoveryOptions.NONE)) {
            LadderReport report = LadderReport.of(tie, new Reference(REFERENCE, "x"), context);
            assertThat(report.chosen().orElseThrow().candidate()).isEqualTo("b");
        }
    }

    @Test
    void overMaxDataLoss_nothingIsChosenWithoutConsent() throws IOException {
        try (RecoveryContext context = context("max_data_loss: 1m", RecoveryOptions.NONE)) {
            LadderReport report = LadderReport.of(ladder, new Reference(REFERENCE, "x"), context);
            assertThat(report.chosen()).isEmpty();
            assertThat(report.overLimit().orElseThrow().rung()).isEqualTo("promote-standby");
            assertThat(report.choiceLine()).startsWith("--auto would stop: promote-standby standby 10.0.0.6:5432/app"
                    + " loses 5m00s, 1.0 MiB of WAL, over recovery.max_data_loss; take it with --allow-data-loss");
        }
        try (RecoveryContext context = context("max_data_loss: 1m", new RecoveryOptions(false, true))) {
            LadderReport report = LadderReport.of(ladder, new Reference(REFERENCE, "x"), context);
            assertThat(report.chosen().orElseThrow().rung()).isEqualTo("promote-standby");
        }
        try (RecoveryContext context = context("max_data_loss: 10m", RecoveryOptions.NONE)) {
            assertThat(LadderReport.of(ladder, new Reference(REFERENCE, "x"), context).chosen()).isPresent();
        }
    }

    @Test
    void nothingHealthy_saysSo() throws IOException {
        try (RecoveryContext context = context("prefer: first-healthy", RecoveryOptions.NONE)) {
            LadderReport report = LadderReport.of(List.of(unavailable("restart-master")),
                    new Reference(Position.UNKNOWN, "x"), context);
            assertThat(report.chosen()).isEmpty();
            assertThat(report.choiceLine()).isEqualTo("--auto would find nothing healthy: no rung can bring the"
                    + " database back");
        }
    }
}
