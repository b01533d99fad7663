package io.lifeboat.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything the status is judged from, read at one moment: the catalog's rows, the snapshot store and each archive
 * target. No judgement here: {@link StatusTree} decides what is up, warn or down.
 *
 * @param jobs the service's jobs by kind (snapshot, archive, …), only kinds that have run
 * @param snapshots empty when no {@code snapshots} block is configured
 * @param archives one per {@code archive.targets} entry, in config order
 */
public record Readings(Instant at, Replication replication, Map<String, Job> jobs, Optional<Validation> validation,
        Optional<DryRun> dryRun, Optional<Snapshots> snapshots, List<Archive> archives) {

    /**
     * @param masterSeenAt when {@code sync run} last read the master's position ({@code lifeboat.master_position})
     * @param lagBytes WAL the master has written that the standby has not applied
     * @param retainedBytes WAL the slot holds on the master
     * @param heartbeatAt the master's clock at the newest heartbeat applied on the standby
     */
    public record Replication(Optional<Instant> masterSeenAt, OptionalLong lagBytes, OptionalLong retainedBytes,
            Optional<Instant> heartbeatAt, List<PausedTable> paused) {
        public Optional<Duration> lag(Instant now) {
            return heartbeatAt.map(at -> at.isAfter(now) ? Duration.ZERO : Duration.between(at, now));
        }
    }

    public record PausedTable(String table, String reason, Instant since) {
    }

    /** @param failures failed runs of this kind in the catalog */
    public record Job(String kind, Optional<Run> last, Optional<Run> lastSuccess, long failures) {
    }

    /** One finished run; {@code message} is its error when it failed, else its summary. */
    public record Run(long id, String state, Instant startedAt, Instant endedAt, String message) {
        public boolean failed() {
            return state.equals("failed");
        }

        public Duration duration() {
            return Duration.between(startedAt, endedAt);
        }
    }

    public record Validation(Instant at, int tables, List<String> outOfSync) {
    }

    /** The newest recovery dry-run's report ({@code recover --auto --dry-run --json}) and when it ended. */
    public record DryRun(Instant at, JsonNode report) {
    }

    /** @param problem why the store could not be read */
    public record Snapshots(Optional<String> problem, int count, Optional<Snapshot> newest,
            Optional<Snapshot> newestVerified, boolean newestCorrupt) {
    }

    public record Snapshot(String name, Instant takenAt) {
    }

    /** @param problem why the target could not be listed */
    public record Archive(String target, Optional<String> problem, int complete, Optional<Backup> newest,
            Optional<Backup> newestVerified, List<String> completeIds) {
    }

    public record Backup(String id, Instant at, long bytes) {
    }
}
