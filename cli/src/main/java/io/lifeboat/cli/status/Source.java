package io.lifeboat.cli.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One recovery source (a rung of the ladder) as it stands now: the last dry-run's verdict, and how much would be
 * lost were it used now.
 *
 * @param state the dry-run's state word for the rung's best candidate (ok, unavailable, corrupt, not checked, failed)
 * @param recoveryPoint the master time up to which it holds every transaction: live for the master and the standby,
 *        the dry-run's for snapshots and dumps
 * @param rpo how much would be lost now: the time since the recovery point
 * @param live whether the recovery point was read now rather than taken from the dry-run
 */
public record Source(String rung, String candidate, String state, String reason, Optional<Instant> recoveryPoint,
        Optional<Duration> rpo, boolean live) {

    public boolean verified() {
        return state.equals("ok");
    }
}
