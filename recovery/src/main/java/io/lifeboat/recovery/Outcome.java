package io.lifeboat.recovery;

import java.time.Instant;
import java.util.Optional;

/**
 * How one {@code recover} ended.
 *
 * @param ladder the assessments as they stood at the end (executions that failed are marked failed)
 * @param taken the candidate that was brought up
 * @param message why nothing was brought up, when nothing was
 */
public record Outcome(Kind kind, LadderReport ladder, Optional<Assessment> taken, Optional<Recovered> recovered,
        Optional<String> message, Instant startedAt, Instant finishedAt) {

    public enum Kind {
        /** A database is up and checked. */
        RECOVERED,
        /** The candidate to take loses more than recovery.max_data_loss: a human decides. */
        REFUSED,
        /** A fence failed or the old master answers: nothing else may be tried. */
        STOPPED,
        /** No rung could provide a database. */
        NOTHING_HEALTHY
    }
}
