package io.lifeboat.recovery;

import java.time.Duration;
import java.util.Optional;

/**
 * One row of the ladder's table: a candidate, what its probe and verification found, what it would lose and how
 * long bringing it up should take.
 *
 * @param state the verification's state when it was verified, else the probe's (or {@link State#NOT_CHECKED})
 * @param position where the candidate stands in the master's history (the verification's when there is one)
 * @param expected the estimated time to a writable, checked database, for candidates that verified
 */
public record Assessment(Probe probe, Optional<Verification> verification, State state, String reason,
        Position position, DataLoss loss, Optional<Duration> expected) {

    public String rung() {
        return probe.rung();
    }

    public String candidate() {
        return probe.candidate();
    }

    public boolean healthy() {
        return state == State.OK;
    }

    /** What the table says in its state column: {@code ok}, {@code unavailable: why}, {@code corrupt: why}. */
    public String stateText() {
        return state == State.OK ? "ok" : state.label() + ": " + reason;
    }

    static Assessment probed(Probe probe, DataLoss loss) {
        return new Assessment(probe, Optional.empty(), probe.state(), probe.reason(), probe.position(), loss,
                Optional.empty());
    }

    static Assessment notChecked(Probe probe, String why, DataLoss loss) {
        return new Assessment(probe, Optional.empty(), State.NOT_CHECKED, why, probe.position(), loss,
                Optional.empty());
    }

    static Assessment verified(Probe probe, Verification verification, DataLoss loss, Optional<Duration> expected) {
        Position position = verification.position().lsn().isPresent() || verification.position().time().isPresent()
                ? verification.position() : probe.position();
        return new Assessment(probe, Optional.of(verification), verification.state(), verification.reason(), position,
                loss, verification.ok() ? expected : Optional.empty());
    }

    Assessment failed(String why) {
        return new Assessment(probe, verification, State.FAILED, why, position, loss, expected);
    }

    Assessment withLoss(DataLoss newLoss) {
        return new Assessment(probe, verification, state, reason, position, newLoss, expected);
    }
}
