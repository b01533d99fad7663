package io.lifeboat.snapshotter.cycle;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.storage.PrivateFiles;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.quiesce.BackupSession;
import io.lifeboat.snapshotter.quiesce.BackupStop;
import io.lifeboat.snapshotter.quiesce.FilesystemFreeze;
import io.lifeboat.snapshotter.quiesce.LockWatchdog;
import io.lifeboat.snapshotter.quiesce.MasterFacts;
import io.lifeboat.snapshotter.quiesce.MasterStoppedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * lock → sync → snapshot → unlock, written once. The lock is backup mode on a held session (plus a freeze for
 * providers whose snapshots are not atomic); a watchdog unlocks at {@code snapshots.lock_timeout} whatever happens.
 */
public final class SnapshotCycle {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCycle.class);

    private final SnapshotsConfig config;
    private final SnapshotProvider provider;
    private final SnapshotStore store;
    private final DataSource master;
    private final Clock clock;

    public SnapshotCycle(SnapshotsConfig config, SnapshotProvider provider, SnapshotStore store, DataSource master,
            Clock clock) {
        this.config = config;
        this.provider = provider;
        this.store = store;
        this.master = master;
        this.clock = clock;
    }

    public StoredSnapshot take() {
        provider.preflight();
        sweepIncomplete();
        SnapshotName name = freshName();
        StoredSnapshot incomplete = store.begin(name);
        try {
            StoredSnapshot complete = takeInto(incomplete);
            LOG.info("snapshot {}: complete", name);
            return complete;
        } catch (RuntimeException e) {
            discard(incomplete);
            throw e;
        }
    }

    private StoredSnapshot takeInto(StoredSnapshot incomplete) {
        Map<String, Long> steps = new LinkedHashMap<>();
        Instant startedAt = clock.instant();
        AtomicReference<FilesystemFreeze> frozen = new AtomicReference<>();
        try (BackupSession session = BackupSession.open(master)) {
            MasterFacts facts = session.facts();
            String dataRelative = dataRelative(facts.dataDirectory());
            long t = System.nanoTime();
            try (LockWatchdog watchdog = LockWatchdog.arm(config.lockTimeout(), () -> {
                FilesystemFreeze freeze = frozen.get();
                if (freeze != null) {
                    freeze.thaw();
                }
                session.abort();
            })) {
                try {
                    return locked(incomplete, session, facts, dataRelative, watchdog, frozen, steps, startedAt, t);
                } catch (MasterStoppedException e) {
                    throw new LifeboatException("snapshot " + incomplete.name() + " abandoned: " + e.getMessage(),
                            e.hint().orElse(null), e);
                } catch (RuntimeException e) {
                    if (watchdog.fired() || watchdog.remaining().isZero()) {
                        throw new LifeboatException("snapshot " + incomplete.name() + " abandoned: not done within"
                                + " snapshots.lock_timeout (" + config.lockTimeout().toSeconds() + " s); the master is"
                                + " unlocked (" + e.getMessage() + ")", e);
                    }
                    throw e;
                }
            }
        } finally {
            FilesystemFreeze freeze = frozen.get();
            if (freeze != null) {
                freeze.close();
            }
        }
    }

    private StoredSnapshot locked(StoredSnapshot incomplete, BackupSession session, MasterFacts facts,
            String dataRelative, LockWatchdog watchdog, AtomicReference<FilesystemFreeze> frozen,
            Map<String, Long> steps, Instant startedAt, long t) {
                {
                Lsn start = session.begin(incomplete.name().complete());
                t = step(steps, "lock", t);
                syncVolume();
                t = step(steps, "sync", t);
                Instant snapshottedAt;
                long blockedNanos = 0;
                if (provider.needsFreeze()) {
                    long freezeStart = System.nanoTime();
                    frozen.set(FilesystemFreeze.freeze(config.mount().orElseThrow(), watchdog.remaining()));
                    t = step(steps, "freeze", t);
                    snapshottedAt = clock.instant();
                    provider.create(incomplete, watchdog.remaining());
                    t = step(steps, "snapshot", t);
                    frozen.get().thaw();
                    t = step(steps, "thaw", t);
                    blockedNanos = System.nanoTime() - freezeStart;
                } else {
                    snapshottedAt = clock.instant();
                    provider.create(incomplete, watchdog.remaining());
                    t = step(steps, "snapshot", t);
                }
                BackupStop stop = session.end();
                t = step(steps, "unlock", t);
                if (!watchdog.disarm() || session.aborted()) {
                    throw new LifeboatException("snapshot " + incomplete.name() + " abandoned: the lock was held longer"
                            + " than snapshots.lock_timeout (" + config.lockTimeout().toSeconds() + " s)");
                }
                writeBackupFiles(incomplete, stop);
                List<String> wal = session.saveWal(stop.stopLsn(), incomplete.walDirectory());
                step(steps, "wal", t);
                SnapshotMetadata metadata = new SnapshotMetadata(SnapshotMetadata.FORMAT, incomplete.name().complete(),
                        provider.kind().configName(), config.volume(), facts.dataDirectory(), dataRelative,
                        facts.systemIdentifier(), facts.serverVersion(), facts.timeline(), start.toString(),
                        stop.stopLsn().toString(), startedAt.toString(), snapshottedAt.toString(),
                        clock.instant().toString(), blockedNanos / 1_000_000, steps, wal, 0);
                StoredSnapshot named = new StoredSnapshot(incomplete.name(), incomplete.name().complete(),
                        incomplete.directory(), true, Optional.empty(), Optional.empty());
                provider.rename(incomplete, named);
                StoredSnapshot complete = store.complete(incomplete, metadata);
                LOG.info("snapshot {}: locked, synced, snapshotted, unlocked in {} ms (write-blocked {} ms)",
                        incomplete.name(), lockedMillis(steps), metadata.writeBlockedMillis());
                return complete;
                }
    }

    /** The time from backup start to backup stop, the window in which the master was in backup mode. */
    public static long lockedMillis(Map<String, Long> steps) {
        return steps.entrySet().stream().filter(e -> !e.getKey().equals("wal")).mapToLong(Map.Entry::getValue).sum();
    }

    private static long step(Map<String, Long> steps, String name, long since) {
        long now = System.nanoTime();
        steps.put(name, (now - since) / 1_000_000);
        return now;
    }

    /** Flushes the volume's dirty pages so the snapshot holds what the checkpoint wrote. */
    private void syncVolume() {
        Optional<Path> path = config.mount().or(() -> Optional.of(Path.of(config.volume())).filter(Path::isAbsolute));
        path.filter(Files::exists).ifPresent(p -> ExternalCommand.of("sync", "-f", p.toString())
                .timeout(Duration.ofSeconds(30)).run());
    }

    private String dataRelative(String dataDirectory) {
        Path base = config.mount().orElse(Path.of(config.volume()));
        Path data = Path.of(dataDirectory);
        if (!base.isAbsolute() || !data.startsWith(base)) {
            throw new LifeboatException("the master's data directory " + dataDirectory + " is not on the snapshot volume "
                    + base, "set snapshots.volume (or snapshots.mount) to the volume that holds the data directory",
                    null);
        }
        return base.relativize(data).toString();
    }

    private static void writeBackupFiles(StoredSnapshot snapshot, BackupStop stop) {
        try {
            PrivateFiles.writeString(snapshot.backupLabel(), stop.backupLabel());
            if (stop.tablespaceMap() != null && !stop.tablespaceMap().isEmpty()) {
                PrivateFiles.writeString(snapshot.tablespaceMap(), stop.tablespaceMap());
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot write the backup label of " + snapshot.name() + " (" + e.getMessage()
                    + ")", e);
        }
    }

    private SnapshotName freshName() {
        SnapshotName name = new SnapshotName(clock.instant());
        boolean taken = store.list().stream().anyMatch(s -> s.name().equals(name));
        if (taken) {
            throw new LifeboatException("a snapshot named " + name + " already exists; snapshots are at most one a second");
        }
        return name;
    }

    /** Incomplete snapshots are leftovers of a crash or failure: never used, never counted, removed here. */
    public void sweepIncomplete() {
        for (StoredSnapshot snapshot : store.list()) {
            if (snapshot.incomplete()) {
                LOG.warn("snapshot {}: removing an incomplete snapshot left by an earlier run", snapshot.name());
                discard(snapshot);
            }
        }
    }

    private void discard(StoredSnapshot snapshot) {
        try {
            provider.delete(snapshot);
        } catch (RuntimeException e) {
            LOG.debug("snapshot {}: nothing to delete under {} ({})", snapshot.name(), snapshot.storageName(),
                    e.getMessage());
        }
        store.remove(snapshot);
    }
}
