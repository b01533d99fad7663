package io.lifeboat.cli.service;

import io.lifeboat.core.config.ArchiveWindow;
import io.lifeboat.core.config.HumanDuration;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/** When a job is next due, from now and from when its last run (or, after a restart, its last success) began. */
sealed interface JobSchedule {

    Instant next(Instant now, Optional<Instant> lastRun);

    /** Every {@code spacing}, on its boundaries (5m: at :00, :05, …), as {@code snapshot run} takes them. */
    record Every(Duration spacing) implements JobSchedule {
        @Override
        public Instant next(Instant now, Optional<Instant> lastRun) {
            long millis = spacing.toMillis();
            return Instant.ofEpochMilli((now.toEpochMilli() / millis + 1) * millis);
        }

        @Override
        public String toString() {
            return "every " + HumanDuration.format(spacing);
        }
    }

    /**
     * Once per occurrence of the window: at once when now is inside one that has no run yet, else at the next
     * start. A restart inside the window after a run does not run it again.
     */
    record Nightly(ArchiveWindow window, ZoneId zone) implements JobSchedule {
        @Override
        public Instant next(Instant now, Optional<Instant> lastRun) {
            ZonedDateTime local = now.atZone(zone);
            Optional<ZonedDateTime> current = window.currentStart(local);
            if (current.isPresent() && lastRun.map(last -> last.isBefore(current.get().toInstant())).orElse(true)) {
                return now;
            }
            return window.nextStart(local).toInstant();
        }

        @Override
        public String toString() {
            return "nightly " + window + " " + zone.getId();
        }
    }

    /** Once every {@code period} after the last run; at once when there has been none. */
    record Daily(Duration period) implements JobSchedule {
        @Override
        public Instant next(Instant now, Optional<Instant> lastRun) {
            return lastRun.map(last -> last.plus(period)).filter(due -> due.isAfter(now)).orElse(now);
        }

        @Override
        public String toString() {
            return "every " + HumanDuration.format(period) + " after the last";
        }
    }
}
