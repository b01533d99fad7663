package io.lifeboat.snapshotter.retention;

import io.lifeboat.core.retention.RetentionSchedule;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the rolling schedule to the complete snapshots. Snapshots that failed verification fill no slot (they
 * cannot be restored) and go; incomplete ones are not this class's business (the next take sweeps them).
 */
public final class SnapshotPruner {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotPruner.class);

    private final RetentionSchedule schedule;
    private final SnapshotStore store;
    private final SnapshotProvider provider;

    public SnapshotPruner(RetentionSchedule schedule, SnapshotStore store, SnapshotProvider provider) {
        this.schedule = schedule;
        this.store = store;
        this.provider = provider;
    }

    /** One decision per complete snapshot, newest first. */
    public List<PruneDecision> plan(Instant now) {
        List<StoredSnapshot> complete = store.complete();
        Map<String, StoredSnapshot> byName = new HashMap<>();
        List<RetentionSchedule.Item> items = new ArrayList<>();
        List<PruneDecision> decisions = new ArrayList<>();
        for (StoredSnapshot snapshot : complete) {
            byName.put(snapshot.name().complete(), snapshot);
            if (snapshot.corrupt()) {
                continue;
            }
            items.add(new RetentionSchedule.Item(snapshot.name().complete(), snapshot.name().takenAt(),
                    snapshot.verified()));
        }
        for (RetentionSchedule.Decision decision : schedule.decide(items, now)) {
            decisions.add(new PruneDecision(byName.get(decision.item().id()), decision.keep(), decision.reason()));
        }
        complete.stream().filter(StoredSnapshot::corrupt)
                .forEach(s -> decisions.add(new PruneDecision(s, false, "corrupt: " + s.verification().get().reason())));
        decisions.sort((a, b) -> b.snapshot().name().compareTo(a.snapshot().name()));
        return decisions;
    }

    /** Deletes what the plan does not keep and returns the plan. */
    public List<PruneDecision> prune(Instant now) {
        List<PruneDecision> plan = plan(now);
        for (PruneDecision decision : plan) {
            if (!decision.keep()) {
                provider.delete(decision.snapshot());
                store.remove(decision.snapshot());
                LOG.info("snapshot {}: deleted ({})", decision.snapshot().name(), decision.reason());
            }
        }
        return plan;
    }

    /** Keep or delete one snapshot, and why. */
    public record PruneDecision(StoredSnapshot snapshot, boolean keep, String reason) {
    }
}
