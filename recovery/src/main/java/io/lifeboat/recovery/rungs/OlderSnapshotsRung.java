package io.lifeboat.recovery.rungs;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.recovery.Plan;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Rung;
import io.lifeboat.recovery.Verification;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.util.List;

/** {@code older-snapshots}: back in time, snapshot by snapshot (every one but the newest), until one verifies. */
public final class OlderSnapshotsRung implements Rung {
    public static final String NAME = "older-snapshots";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        try {
            List<StoredSnapshot> snapshots = SnapshotCopies.newestFirst(context);
            if (snapshots.size() < 2) {
                return List.of(Probe.unavailable(NAME, "snapshots.directory", "no snapshot older than the newest in "
                        + context.config().snapshots().orElseThrow().directory()));
            }
            return snapshots.subList(1, snapshots.size()).stream()
                    .map(snapshot -> SnapshotCopies.probe(context, NAME, snapshot)).toList();
        } catch (LifeboatException e) {
            return List.of(Probe.unavailable(NAME, "snapshots", e.getMessage()));
        }
    }

    @Override
    public Verification verify(RecoveryContext context, Probe probe) {
        return SnapshotCopies.verify(context, probe);
    }

    @Override
    public Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        return SnapshotCopies.plan(context, probe, verification);
    }

    @Override
    public Recovered execute(RecoveryContext context, Plan plan) {
        return SnapshotCopies.execute(context, plan);
    }
}
