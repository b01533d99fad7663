package io.lifeboat.recovery;

import java.util.Objects;

/**
 * What a rung found, read-only, about one candidate: whether it is there, and how fresh it is.
 *
 * @param candidate the candidate's id, as {@code --candidate} takes it and the table shows it
 * @param state {@link State#OK} when it is there to be verified; otherwise why not
 * @param position the master position it holds, as far as the probe can tell
 * @param holdsEverything the candidate holds all the WAL the master wrote (the master's own data directory), so it
 *        loses nothing, whatever its position reads before it is started
 */
public record Probe(String rung, String candidate, State state, String reason, Position position,
        boolean holdsEverything) {

    public Probe {
        Objects.requireNonNull(rung);
        Objects.requireNonNull(candidate);
        Objects.requireNonNull(state);
        Objects.requireNonNull(reason);
        Objects.requireNonNull(position);
    }

    public static Probe present(String rung, String candidate, String reason, Position position) {
        return new Probe(rung, candidate, State.OK, reason, position, false);
    }

    public static Probe unavailable(String rung, String candidate, String reason) {
        return new Probe(rung, candidate, State.UNAVAILABLE, reason, Position.UNKNOWN, false);
    }

    public static Probe corrupt(String rung, String candidate, String reason, Position position) {
        return new Probe(rung, candidate, State.CORRUPT, reason, position, false);
    }

    public boolean present() {
        return state == State.OK;
    }

    public Probe holdingEverything() {
        return new Probe(rung, candidate, state, reason, position, true);
    }
}
