package io.lifeboat.archiver.retention;

import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.core.retention.RetentionSchedule;
import io.lifeboat.core.storage.ObjectInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link RetentionSchedule} to the backups on one target. Complete backups go through the schedule (a
 * backup counts as verified when its last recorded verification was ok, so the newest such one is never
 * deleted); a backup whose manifest cannot be read is deleted; a backup without a manifest is deleted once its
 * newest object is older than {@link #ABANDONED_AFTER}, as no job writes that long without committing a chunk.
 */
public final class BackupPruner {
    private static final Logger LOG = LoggerFactory.getLogger(BackupPruner.class);
    static final Duration ABANDONED_AFTER = Duration.ofHours(6);

    private final RetentionSchedule schedule;
    private final BackupStore store;

    public BackupPruner(RetentionSchedule schedule, BackupStore store) {
        this.schedule = schedule;
        this.store = store;
    }

    /** What to keep and delete, and why, newest first; deletes nothing. */
    public List<Decision> plan(Instant now) {
        List<StoredBackup> backups = store.list();
        Map<String, StoredBackup> complete = new HashMap<>();
        List<RetentionSchedule.Item> items = new ArrayList<>();
        List<Decision> decisions = new ArrayList<>();
        for (StoredBackup backup : backups) {
            if (backup.manifestProblem().isPresent()) {
                decisions.add(new Decision(backup, false, "corrupt: " + backup.manifestProblem().get()));
            } else if (!backup.complete()) {
                decisions.add(incomplete(backup, now));
            } else {
                complete.put(backup.id().toString(), backup);
                items.add(new RetentionSchedule.Item(backup.id().toString(), backup.id().startedAt(),
                        backup.verified()));
            }
        }
        for (RetentionSchedule.Decision decision : schedule.decide(items, now)) {
            decisions.add(new Decision(complete.get(decision.item().id()), decision.keep(), decision.reason()));
        }
        decisions.sort(Comparator.comparing((Decision d) -> d.backup().id()).reversed());
        return List.copyOf(decisions);
    }

    /** Deletes what {@link #plan} does not keep, manifest first, and returns the plan. */
    public List<Decision> prune(Instant now) {
        List<Decision> plan = plan(now);
        for (Decision decision : plan) {
            if (!decision.keep()) {
                store.delete(decision.backup());
                LOG.info("backup {} deleted from {}: {}", decision.backup().id(), store.target().name(),
                        decision.reason());
            }
        }
        return plan;
    }

    private static Decision incomplete(StoredBackup backup, Instant now) {
        Optional<Instant> newest = backup.objects().stream().map(ObjectInfo::lastModified).max(Comparator.naturalOrder());
        if (newest.isPresent() && Duration.between(newest.get(), now).compareTo(ABANDONED_AFTER) > 0) {
            return new Decision(backup, false, "incomplete, abandoned");
        }
        return new Decision(backup, true, "incomplete, maybe still being written");
    }

    /** Keep or delete one backup, and why: what {@code archive prune --dry-run} prints. */
    public record Decision(StoredBackup backup, boolean keep, String reason) {
    }
}
