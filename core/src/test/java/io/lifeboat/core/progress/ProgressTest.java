package io.lifeboat.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long MIB = 1024L * 1024;
    private long now = 1_000_000_000L;
    private final List<String> lines = new ArrayList<>();

    private void advance(long seconds) {
        now += TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void logsOneLineAtMostEveryTenSecondsWithAmountRateAndEta() {
        try (Progress progress = Progress.logging("archive run", Progress.Unit.BYTES, 4096 * MIB, () -> now,
                lines::add)) {
            advance(5);
            progress.step(500 * MIB);
            assertThat(lines).as("nothing before 10 s").isEmpty();
            advance(5);
            progress.step(524 * MIB);
            // 1 GiB in 10 s: 102.4 MiB/s, 3 GiB left: 30 s.
            assertThat(lines).containsExactly("archive run: 1.0 GiB of 4.0 GiB (25 %), 102.4 MiB/s, ETA 30 s");
            for (int i = 0; i < 9; i++) {
                advance(1);
                progress.step(MIB);
            }
            assertThat(lines).as("no second line within 10 s of the first").hasSize(1);
            advance(1);
            progress.step(1015 * MIB);
            // 2 GiB in 20 s: 102.4 MiB/s, 2 GiB left: 20 s.
            assertThat(lines).hasSize(2).last()
                    .isEqualTo("archive run: 2.0 GiB of 4.0 GiB (50 %), 102.4 MiB/s, ETA 20 s");
        }
    }

    @Test
    void anUnknownTotalHasNoPercentageAndNoEta() {
        Progress progress = Progress.logging("initial sync public.t", Progress.Unit.ROWS, -1, () -> now, lines::add);
        advance(12);
        progress.stepTo(60_000);
        assertThat(lines).containsExactly("initial sync public.t: 60000 rows, 5000 rows/s");
    }

    @Test
    void aTotalBelowWhatIsDoneGrowsToItAndAHintReplacesIt() {
        Progress progress = Progress.logging("resync public.t", Progress.Unit.ROWS, 100, () -> now, lines::add);
        advance(10);
        progress.stepTo(150);
        assertThat(lines).containsExactly("resync public.t: 150 rows of 150 rows (100 %), 15 rows/s, ETA 0 s");
        progress.maxHint(300);
        advance(10);
        progress.stepTo(200);
        // 200 rows in 20 s: 10 rows/s, 100 left: 10 s.
        assertThat(lines).last().isEqualTo("resync public.t: 200 rows of 300 rows (66 %), 10 rows/s, ETA 10 s");
    }

    @Test
    void nothingIsLoggedAfterClose() {
        Progress progress = Progress.logging("verify", Progress.Unit.BYTES, 10, () -> now, lines::add);
        progress.close();
        advance(60);
        progress.stepTo(5);
        assertThat(lines).isEmpty();
    }

    @Test
    void longEtasReadInMinutesAndHours() {
        assertThat(Progress.duration(59)).isEqualTo("59 s");
        assertThat(Progress.duration(125)).isEqualTo("2 min 5 s");
        assertThat(Progress.duration(3 * 3600 + 20 * 60 + 7)).isEqualTo("3 h 20 min");
    }
}
