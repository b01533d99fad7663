package io.lifeboat.cli.service;

import io.lifeboat.cli.CatalogVerificationLog;
import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.snapshotter.cycle.SnapshotCycle;
import io.lifeboat.snapshotter.cycle.SnapshotMetadata;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.cycle.Verification;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.provider.SnapshotProviders;
import io.lifeboat.snapshotter.retention.SnapshotPruner;
import io.lifeboat.snapshotter.retention.SnapshotPruner.PruneDecision;
import io.lifeboat.snapshotter.verify.SnapshotVerifier;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code snapshot take} (with its verification when {@code snapshots.verify}) and {@code snapshot prune}. */
final class SnapshotSteps {
    private final SnapshotsConfig config;
    private final Pools pools;
    private final Clock clock;

    SnapshotSteps(SnapshotsConfig config, Pools pools, Clock clock) {
        this.config = config;
        this.pools = pools;
        this.clock = clock;
    }

    /** The snapshot job: take (never cut short by a stop: it completes or leaves nothing), then prune. */
    Job job() {
        return new Job("snapshot", new JobSchedule.Every(config.schedule().interval()),
                List.of(Step.finishingOnStop("snapshot", this::take), Step.of("prune", this::prune)),
                java.util.Optional::empty);
    }

    private Step.Result take(StepRun run) {
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        SnapshotStore store = new SnapshotStore(config.directory());
        StoredSnapshot snapshot = new SnapshotCycle(config, provider, store, pools.master(), clock).take();
        SnapshotMetadata metadata = snapshot.metadata().orElseThrow();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("snapshot", snapshot.name().toString());
        fields.put("stop_lsn", metadata.stopLsn());
        fields.put("locked_ms", SnapshotCycle.lockedMillis(metadata.stepMillis()));
        String taken = "snapshot " + snapshot.name() + " taken (master locked "
                + SnapshotCycle.lockedMillis(metadata.stepMillis()) + " ms)";
        if (!config.verify()) {
            return new Step.Result(taken, fields);
        }
        if (run.stopping()) {
            fields.put("verified", null);
            return new Step.Result(taken + "; not verified: the service is stopping", fields);
        }
        Verification verification = new SnapshotVerifier(provider, store,
                new CatalogVerificationLog(pools.standby()), clock).verify(snapshot);
        fields.put("verified", verification.verified());
        fields.put("verification", verification.reason());
        if (!verification.verified()) {
            throw new Step.Failure("snapshot " + snapshot.name() + " is CORRUPT: " + verification.reason(), fields);
        }
        return new Step.Result(taken + " and verified in " + verification.durationMillis() + " ms", fields);
    }

    private Step.Result prune(StepRun run) {
        SnapshotPruner pruner = new SnapshotPruner(config.schedule(), new SnapshotStore(config.directory()),
                SnapshotProviders.forConfig(config));
        List<PruneDecision> decisions = pruner.prune(clock.instant());
        List<String> deleted = decisions.stream().filter(d -> !d.keep()).map(d -> d.snapshot().name().toString())
                .toList();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("of", "snapshots");
        fields.put("kept", decisions.size() - deleted.size());
        fields.put("deleted", deleted);
        return new Step.Result("snapshots: " + (decisions.size() - deleted.size()) + " kept, " + deleted.size()
                + " deleted", fields);
    }
}
