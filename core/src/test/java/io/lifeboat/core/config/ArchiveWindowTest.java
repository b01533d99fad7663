package io.lifeboat.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class ArchiveWindowTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static ZonedDateTime at(String local) {
        return java.time.LocalDateTime.parse(local).atZone(BERLIN);
    }

    @Test
    void sameDayWindow_hasAnOccurrenceOnlyBetweenItsEnds() {
        ArchiveWindow window = ArchiveWindow.parse("01:00-05:00");
        assertThat(window.currentStart(at("2026-03-10T00:59"))).isEmpty();
        assertThat(window.currentStart(at("2026-03-10T01:00"))).contains(at("2026-03-10T01:00"));
        assertThat(window.currentStart(at("2026-03-10T04:59"))).contains(at("2026-03-10T01:00"));
        assertThat(window.currentStart(at("2026-03-10T05:00"))).isEmpty();
        assertThat(window.nextStart(at("2026-03-10T01:00"))).isEqualTo(at("2026-03-11T01:00"));
        assertThat(window.nextStart(at("2026-03-10T00:30"))).isEqualTo(at("2026-03-10T01:00"));
    }

    @Test
    void windowPastMidnight_belongsToTheEveningItStarted() {
        ArchiveWindow window = ArchiveWindow.parse("22:00-04:00");
        assertThat(window.currentStart(at("2026-03-10T23:00"))).contains(at("2026-03-10T22:00"));
        assertThat(window.currentStart(at("2026-03-11T03:00"))).contains(at("2026-03-10T22:00"));
        assertThat(window.currentStart(at("2026-03-11T04:00"))).isEmpty();
        assertThat(window.currentStart(at("2026-03-11T21:59"))).isEmpty();
        assertThat(window.nextStart(at("2026-03-11T03:00"))).isEqualTo(at("2026-03-11T22:00"));
    }

    @Test
    void startInTheSpringGap_movesForwardLikeTheWallClock() {
        // 2026-03-29 02:00-03:00 does not exist in Berlin.
        ArchiveWindow window = ArchiveWindow.parse("02:30-05:00");
        assertThat(window.nextStart(at("2026-03-29T00:00")).toLocalTime()).hasToString("03:30");
    }
}
