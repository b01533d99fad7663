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

/** {@code latest-snapshot}: the newest complete snapshot, cloned, recovered to its stop LSN and brought up. */
public final class LatestSnapshotRung implements Rung {
    public static final String NAME = "latest-snapshot";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        try {
            List<StoredSnapshot> snapshots = SnapshotCopies.newestFirst(context);
            if (snapshots.isEmpty()) {
                return List.of(Probe.unavailable(NAME, "snapshots.directory", "no complete snapshot in "
                        + context.config().snapshots().orElseThrow().directory()));
            }
            return List.of(SnapshotCopies.probe(context, NAME, snapshots.get(0)));
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
