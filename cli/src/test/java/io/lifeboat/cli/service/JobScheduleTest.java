package io.lifeboat.cli.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ArchiveWindow;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobScheduleTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void every_fallsOnTheSpacingsBoundaries() {
        JobSchedule every = new JobSchedule.Every(Duration.ofMinutes(5));
        assertThat(every.next(Instant.parse("2026-12-04T10:02:13Z"), Optional.empty()))
                .isEqualTo(Instant.parse("2026-12-04T10:05:00Z"));
        assertThat(every.next(Instant.parse("2026-12-04T10:05:00Z"), Optional.empty()))
                .isEqualTo(Instant.parse("2026-12-04T10:10:00Z"));
    }

    @Test
    void nightly_runsOncePerWindowInItsZone() {
        JobSchedule nightly = new JobSchedule.Nightly(ArchiveWindow.parse("01:00-05:00"), BERLIN);
        Instant inside = Instant.parse("2026-12-04T01:30:00Z"); // 02:30 in Berlin
        assertThat(nightly.next(inside, Optional.empty())).isEqualTo(inside);
        assertThat(nightly.next(inside, Optional.of(Instant.parse("2026-12-03T00:10:00Z")))).isEqualTo(inside);
        // Already run in tonight's window (00:00 UTC is 01:00 in Berlin): tomorrow night at 01:00 Berlin.
        assertThat(nightly.next(inside, Optional.of(Instant.parse("2026-12-04T00:00:00Z"))))
                .isEqualTo(Instant.parse("2026-12-05T00:00:00Z"));
        // Outside the window: its next start.
        assertThat(nightly.next(Instant.parse("2026-12-04T12:00:00Z"), Optional.empty()))
                .isEqualTo(Instant.parse("2026-12-05T00:00:00Z"));
    }

    @Test
    void daily_countsFromTheLastRunAndRunsAtOnceWithoutOne() {
        JobSchedule daily = new JobSchedule.Daily(Duration.ofDays(1));
        Instant now = Instant.parse("2026-12-04T12:00:00Z");
        assertThat(daily.next(now, Optional.empty())).isEqualTo(now);
        assertThat(daily.next(now, Optional.of(Instant.parse("2026-12-04T08:00:00Z"))))
                .isEqualTo(Instant.parse("2026-12-05T08:00:00Z"));
        assertThat(daily.next(now, Optional.of(Instant.parse("2026-12-02T08:00:00Z")))).isEqualTo(now);
    }

    @Test
    void backoff_doublesUpToItsLimit() {
        Backoff backoff = new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(15), 6);
        assertThat(backoff.after(1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(backoff.after(2)).isEqualTo(Duration.ofMinutes(2));
        assertThat(backoff.after(4)).isEqualTo(Duration.ofMinutes(8));
        assertThat(backoff.after(5)).isEqualTo(Duration.ofMinutes(15));
        assertThat(backoff.after(60)).isEqualTo(Duration.ofMinutes(15));
    }
}
