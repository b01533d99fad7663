package io.lifeboat.replicator.status;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.setup.ReplicationSlot.SlotState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where replication stands, read from both servers: what {@code sync status} prints. When one server cannot be
 * reached, what the other can tell is still here (the standby's applied position and heartbeat, or the master's
 * slot), with the reason in {@code masterUnreachable} or {@code standbyUnreachable}.
 *
 * @param masterUnreachable why the master could not be read (one line); empty when it could
 * @param standbyUnreachable why the standby could not be read (one line); empty when it could
 * @param heartbeatAt when the master wrote the newest heartbeat the standby has applied: every master transaction
 *                    committed before it is on the standby, so with the master gone anything after it is at risk
 * @param heartbeatAge how long ago that was, by the standby's clock
 * @param lag the heartbeat's age while the master is reachable (then it is the end-to-end lag); empty before the
 *            first heartbeat arrives and when the master is unreachable (the age then measures the outage)
 * @param masterPosition the master's current WAL position; empty when it is unreachable
 * @param inProgress a large master transaction being applied right now, when the applier reports one
 * @param problems what makes the state a warning or critical, one line each
 */
public record ReplicationStatus(
        Health health,
        List<String> problems,
        Optional<String> masterUnreachable,
        Optional<String> standbyUnreachable,
        Optional<Lsn> applied,
        Optional<Instant> appliedAt,
        Optional<Instant> heartbeatAt,
        Optional<Duration> heartbeatAge,
        Optional<Duration> lag,
        Optional<Lsn> masterPosition,
        Optional<SlotState> slot,
        Optional<InProgress> inProgress,
        List<TableStatus> tables,
        Optional<LastValidation> lastValidation) {

    public enum Health {
        HEALTHY, WARNING, CRITICAL
    }

    /**
     * With the master unreachable: the time after which master transactions may be missing from the standby.
     * Empty while the master answers (nothing is at risk that the lag does not already say).
     */
    public Optional<Instant> dataAtRiskSince() {
        return masterUnreachable.isPresent() ? heartbeatAt : Optional.empty();
    }

    /**
     * The newest {@code sync validate} run, and the newest one that found every table equal.
     *
     * @param provenIdentical when the standby was last proven identical to the master; empty if never
     */
    public record LastValidation(Instant at, int tables, int outOfSync, Optional<Instant> provenIdentical) {
    }

    /**
     * A master transaction the applier is writing into an open standby transaction (too large to hold whole): its
     * rows are invisible on the standby until the master's commit arrives and the standby transaction commits.
     *
     * @param transactionId the master's transaction id, when known
     * @param updatedAt when the applier last reported; a report older than a minute is not shown
     */
    public record InProgress(Optional<Long> transactionId, long rowsApplied, Instant startedAt, Instant updatedAt,
                             Duration running) {
    }

    /**
     * One replicated table as the standby has it.
     *
     * @param rows rows on the standby, {@link #MISSING} when the standby has no such table, {@link #UNKNOWN} when
     *             the standby cannot be read
     */
    public record TableStatus(String table, String mode, String state, long rows) {
        public static final long MISSING = -1;
        public static final long UNKNOWN = -2;
    }
}
