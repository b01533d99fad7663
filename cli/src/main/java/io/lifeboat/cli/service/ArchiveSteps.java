package io.lifeboat.cli.service;

import io.lifeboat.archiver.job.ArchiveJob;
import io.lifeboat.archiver.job.ArchiveRun;
import io.lifeboat.archiver.job.StorageTargets;
import io.lifeboat.archiver.offsite.BackupCopier;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.archiver.retention.BackupPruner;
import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.storage.StorageTarget;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nightly archive: {@code archive run} (which also copies to every further target), then {@code archive copy} of
 * any complete backup a further target still lacks (an earlier night's copy that failed), then {@code archive prune}
 * on every target.
 */
final class ArchiveSteps {
    private static final Logger log = LoggerFactory.getLogger(ArchiveSteps.class);

    private final LifeboatConfig config;
    private final Pools pools;
    private final Clock clock;

    ArchiveSteps(LifeboatConfig config, Pools pools, Clock clock) {
        this.config = config;
        this.pools = pools;
        this.clock = clock;
    }

    Job job() {
        List<Step> steps = new ArrayList<>();
        steps.add(Step.of("archive", this::archive));
        if (config.archive().targets().size() > 1) {
            steps.add(Step.of("copy", this::copy));
        }
        steps.add(Step.of("prune", this::prune));
        return new Job("archive", new JobSchedule.Nightly(config.service().archiveWindow(),
                config.service().timezone()), steps, this::newestComplete);
    }

    private ArchiveConfig archive() {
        return config.archive();
    }

    /**
     * When the newest complete backup on the first target began: the store says whether tonight's is done (a
     * killed or stopped run left none, so it runs again). Unreadable store: not done.
     */
    private Optional<Instant> newestComplete() {
        try (StorageTarget first = StorageTargets.open(archive(), archive().targets().get(0))) {
            return new BackupStore(first).complete().stream().map(b -> b.id().startedAt()).max(Instant::compareTo);
        } catch (LifeboatException e) {
            log.warn("cannot list the backups on {} ({}); the archive runs in its window as if none were there",
                    archive().targets().get(0).name(), e.getMessage());
            return Optional.empty();
        }
    }

    private Step.Result archive(StepRun run) {
        ArchiveRun done = new ArchiveJob(archive(), config.standby(), pools.standby(), config.replication().slot(),
                clock).run();
        BackupManifest manifest = done.manifest();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("backup", manifest.id());
        fields.put("master_lsn", manifest.masterLsn());
        fields.put("dump_bytes", manifest.plaintextSize());
        fields.put("stored_bytes", manifest.storedSize());
        fields.put("chunks", manifest.chunks().size());
        fields.put("targets", done.targets());
        return new Step.Result("backup " + manifest.id() + ": " + DataSize.ofBytes(manifest.plaintextSize())
                .approximate() + " dump stored as " + DataSize.ofBytes(manifest.storedSize()).approximate() + " on "
                + String.join(", ", done.targets()), fields);
    }

    private Step.Result copy(StepRun run) {
        List<String> copied = new ArrayList<>();
        try (StorageTarget source = StorageTargets.open(archive(), archive().targets().get(0))) {
            BackupStore sourceStore = new BackupStore(source);
            List<StoredBackup> complete = sourceStore.complete();
            for (ArchiveTarget further : archive().targets().subList(1, archive().targets().size())) {
                try (StorageTarget destination = StorageTargets.open(archive(), further)) {
                    BackupStore destinationStore = new BackupStore(destination);
                    Set<String> there = destinationStore.complete().stream().map(b -> b.id().toString())
                            .collect(Collectors.toSet());
                    for (StoredBackup backup : complete) {
                        if (!there.contains(backup.id().toString())) {
                            new BackupCopier(sourceStore, destinationStore).copy(backup);
                            copied.add(backup.id() + " to " + destination.name());
                        }
                    }
                }
            }
        }
        return new Step.Result(copied.isEmpty() ? "every complete backup is on every target"
                : "copied " + String.join(", ", copied), Map.of("copied", copied));
    }

    private Step.Result prune(StepRun run) {
        Map<String, Object> deletedByTarget = new LinkedHashMap<>();
        int deleted = 0;
        for (ArchiveTarget each : archive().targets()) {
            try (StorageTarget target = StorageTargets.open(archive(), each)) {
                List<String> gone = new BackupPruner(archive().retention(), new BackupStore(target))
                        .prune(clock.instant()).stream().filter(d -> !d.keep()).map(d -> d.backup().id().toString())
                        .toList();
                deletedByTarget.put(target.name(), gone);
                deleted += gone.size();
            }
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("of", "backups");
        fields.put("deleted", deletedByTarget);
        return new Step.Result("backups: " + deleted + " deleted by archive.retention", fields);
    }
}
