package io.lifeboat.recovery;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether a candidate proved healthy, on a scratch copy or read-only: it starts, its control data is consistent,
 * pg_amcheck passes, a sanity query runs (for a dump: manifest, chunk hashes and a full decrypt).
 *
 * @param position the position the check saw the candidate reach (often more exact than the probe's)
 * @param took how long the check took, the base of the rung's time estimate
 */
public record Verification(State state, String reason, Position position, Duration took) {
    public Verification {
        Objects.requireNonNull(state);
        Objects.requireNonNull(reason);
        Objects.requireNonNull(position);
        Objects.requireNonNull(took);
    }

    public static Verification ok(String reason, Position position, Duration took) {
        return new Verification(State.OK, reason, position, took);
    }

    public static Verification corrupt(String reason, Position position, Duration took) {
        return new Verification(State.CORRUPT, reason, position, took);
    }

    public static Verification unavailable(String reason, Duration took) {
        return new Verification(State.UNAVAILABLE, reason, Position.UNKNOWN, took);
    }

    public boolean ok() {
        return state == State.OK;
    }
}
