package io.lifeboat.replicator.status;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.setup.ReplicationSlot.SlotState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where replication stands, read from both servers: what {@code sync status} prints.
 *
 * @param lag age of the newest heartbeat the standby has applied; empty before the first one arrives
 * @param problems what makes the state a warning or critical, one line each
 */
public record ReplicationStatus(
        Health health,
        List<String> problems,
        Optional<Lsn> applied,
        Optional<Instant> appliedAt,
        Optional<Duration> lag,
        Lsn masterPosition,
        Optional<SlotState> slot,
        List<TableStatus> tables,
        Optional<LastValidation> lastValidation) {

    public enum Health {
        HEALTHY, WARNING, CRITICAL
    }

    /**
     * The newest {@code sync validate} run, and the newest one that found every table equal.
     *
     * @param provenIdentical when the standby was last proven identical to the master; empty if never
     */
    public record LastValidation(Instant at, int tables, int outOfSync, Optional<Instant> provenIdentical) {
    }

    /** One replicated table as the standby has it. */
    public record TableStatus(String table, String mode, String state, long rows) {
    }
}
