package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.ServerStartException;
import io.lifeboat.recovery.CandidateCorruptException;
import io.lifeboat.recovery.Plan;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Verification;
import io.lifeboat.recovery.target.RecoveryTarget;
import io.lifeboat.recovery.verify.HealthCheck;
import io.lifeboat.recovery.verify.ScratchServer;
import io.lifeboat.snapshotter.cycle.SnapshotMetadata;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.provider.SnapshotProviders;
import io.lifeboat.snapshotter.verify.ClonedCluster;
import io.lifeboat.snapshotter.verify.CorruptSnapshotException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The snapshot store as {@code latest-snapshot} and {@code older-snapshots} read it, and what both do with one
 * snapshot: verify it on a writable clone (the snapshot itself is never touched), and bring it up at the target.
 * A snapshot holds the master as it was at its stop LSN: everything committed before {@code pg_backup_stop}.
 */
final class SnapshotCopies {
    private SnapshotCopies() {
    }

    /** Complete snapshots, newest first; or why there are none to look at. */
    static List<StoredSnapshot> newestFirst(RecoveryContext context) {
        SnapshotsConfig config = context.config().snapshots().orElseThrow(() -> new LifeboatException(
                "snapshots is not configured"));
        List<StoredSnapshot> complete = new ArrayList<>(new SnapshotStore(config.directory()).complete());
        Collections.reverse(complete);
        return complete;
    }

    static Probe probe(RecoveryContext context, String rung, StoredSnapshot snapshot) {
        String candidate = snapshot.name().complete();
        Position position = position(snapshot);
        if (snapshot.corrupt()) {
            return Probe.corrupt(rung, candidate, "found corrupt by snapshot verify at "
                    + snapshot.verification().orElseThrow().checkedAt() + ": " + snapshot.verification().orElseThrow()
                    .reason(), position);
        }
        Optional<String> unusable = Targets.unusable(context);
        if (unusable.isPresent()) {
            return Probe.unavailable(rung, candidate, unusable.get());
        }
        SnapshotMetadata metadata = snapshot.metadata().orElseThrow();
        return Probe.present(rung, candidate, metadata.provider() + " snapshot, stop LSN " + metadata.stopLsn()
                + (snapshot.verified() ? ", last verified " + snapshot.verification().orElseThrow().checkedAt() : ""),
                position);
    }

    /** The stop LSN, and the time its snapshot was taken (a lower bound of the master's clock at the stop). */
    static Position position(StoredSnapshot snapshot) {
        return snapshot.metadata().map(m -> new Position(Optional.of(Lsn.parse(m.stopLsn())),
                Optional.of(Instant.parse(m.snapshottedAt())))).orElse(Position.UNKNOWN);
    }

    private static Instant snapshotTime(StoredSnapshot snapshot) {
        return Instant.parse(snapshot.metadata().orElseThrow().snapshottedAt());
    }

    static Verification verify(RecoveryContext context, Probe probe) {
        long begin = System.nanoTime();
        SnapshotsConfig config = context.config().snapshots().orElseThrow();
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        StoredSnapshot snapshot;
        try {
            snapshot = find(context, probe.candidate());
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        }
        Path clone = context.scratch("snapshot");
        Path root = null;
        try {
            root = provider.materialize(snapshot, clone);
            int port = RecoveryContext.sparePort();
            ClonedCluster cluster = ClonedCluster.prepare(snapshot, root, port, null, List.of());
            CopyConfiguration.keepInside(cluster.dataDirectory());
            try (ScratchServer server = ScratchServer.start(context, cluster.server(), port, Map.of())) {
                Position reached = reached(context, server, snapshot);
                String health = HealthCheck.run(server, context.config().master().database());
                return Verification.ok("a clone recovers to " + reached.lsn().map(Lsn::toString).orElse("?") + "; "
                        + health, reached, RestartMasterRung.since(begin));
            }
        } catch (CorruptSnapshotException | CandidateCorruptException e) {
            return Verification.corrupt(e.getMessage(), probe.position(), RestartMasterRung.since(begin));
        } catch (ServerStartException e) {
            return Verification.corrupt("a clone does not start: " + e.reason(), probe.position(),
                    RestartMasterRung.since(begin));
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        } finally {
            context.stopScratchServers();
            try {
                if (root != null || java.nio.file.Files.exists(clone)) {
                    provider.release(clone);
                }
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SnapshotCopies.class).warn("cannot remove the clone {} ({})", clone,
                        e.getMessage());
            }
        }
    }

    /** Where the clone's recovery ended; short of the snapshot's stop LSN means it cannot be trusted. */
    private static Position reached(RecoveryContext context, ScratchServer server, StoredSnapshot snapshot) {
        Position reached = server.position(context.config().master().database());
        Lsn stop = Lsn.parse(snapshot.metadata().orElseThrow().stopLsn());
        if (reached.lsn().isEmpty() || reached.lsn().get().compareTo(stop) < 0) {
            throw new CandidateCorruptException("recovery ended at " + reached.lsn().map(Lsn::toString).orElse("?")
                    + ", short of the snapshot's stop LSN " + stop);
        }
        // Everything committed before the snapshot was taken is in it: its own time is a lower bound of the master's
        // clock there, and the last replicated heartbeat in the copy is another (behind, when replication had stopped).
        return new Position(reached.lsn(), Optional.of(reached.time().map(beat -> beat.isAfter(snapshotTime(snapshot))
                ? beat : snapshotTime(snapshot)).orElse(snapshotTime(snapshot))));
    }

    static Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        RecoveryTarget target = Targets.of(context);
        return new Plan(probe, verification, List.of(
                "clone snapshot " + probe.candidate() + " to " + target.staging(),
                "recover it privately to its stop LSN and promote it",
                "rename it to " + target.directory() + " and start it on port " + target.port()),
                verification.took());
    }

    static Recovered execute(RecoveryContext context, Plan plan) {
        RecoveryTarget target = Targets.of(context);
        StoredSnapshot snapshot = find(context, plan.candidate());
        SnapshotProvider provider = SnapshotProviders.forConfig(context.config().snapshots().orElseThrow());
        String database = context.config().master().database();
        target.clear(context.options().force());
        try {
            Path root = provider.materialize(snapshot, target.staging());
            ClonedCluster cluster = ClonedCluster.prepare(snapshot, root, target.port(), null, List.of());
            CopyConfiguration.keepInside(cluster.dataDirectory());
            Path relative = target.staging().relativize(cluster.dataDirectory());
            Position reached;
            try (ScratchServer server = ScratchServer.start(context, cluster.server(), target.port(), Map.of())) {
                reached = reached(context, server, snapshot);
            }
            target.complete();
            Path dataDirectory = target.directory().resolve(relative.toString());
            Targets.startFinal(context, dataDirectory);
            return new Recovered(context.localHost(), target.port(), database, Optional.of(dataDirectory), reached,
                    List.of("recovered to " + reached.lsn().map(Lsn::toString).orElse("?") + " (stop LSN "
                                    + snapshot.metadata().orElseThrow().stopLsn() + ")",
                            "pg_amcheck ran on a clone of the same snapshot just before"));
        } catch (RuntimeException e) {
            Targets.abandon(context, target, e);
            throw e;
        }
    }

    private static StoredSnapshot find(RecoveryContext context, String name) {
        SnapshotsConfig config = context.config().snapshots().orElseThrow(() -> new LifeboatException(
                "snapshots is not configured"));
        return new SnapshotStore(config.directory()).find(Optional.of(name));
    }

    static Duration since(long begin) {
        return RestartMasterRung.since(begin);
    }
}
