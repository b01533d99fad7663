package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import io.lifeboat.snapshotter.cycle.SnapshotName;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.provider.SnapshotProviders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * A copy of the master's volume as it is, made with the configured snapshot provider where it snapshots whole
 * volumes atomically (btrfs, LVM, ZFS, commands), else a plain copy of the data directory. The provider's snapshot
 * is only a means: it is taken into a scratch entry beside the snapshot store (never listed as a snapshot), cloned
 * writable at the destination, and deleted.
 */
final class VolumeCopy {
    private static final Duration SNAPSHOT_LIMIT = Duration.ofMinutes(10);

    private VolumeCopy() {
    }

    /** The copy of the volume holding {@code masterData} at {@code at}; returns the copied data directory. */
    static Path copy(Optional<SnapshotsConfig> snapshots, Path masterData, Path at, Clock clock) {
        Optional<Path> volumeRoot = snapshots.flatMap(VolumeCopy::volumeRoot).filter(masterData::startsWith);
        if (volumeRoot.isEmpty()) {
            MasterDirectory.copy(masterData, at);
            return at;
        }
        SnapshotsConfig config = snapshots.get();
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        // Not a snapshot name: the store never lists it, retention never counts it.
        String name = "recovery-" + clock.instant().toEpochMilli();
        Path directory = config.directory().resolve("." + name);
        StoredSnapshot scratch = new StoredSnapshot(new SnapshotName(clock.instant()), name, directory, true,
                Optional.empty(), Optional.empty());
        try {
            Files.createDirectories(directory);
            provider.create(scratch, SNAPSHOT_LIMIT);
            Path root = provider.materialize(scratch, at);
            return root.resolve(volumeRoot.get().relativize(masterData).toString());
        } catch (IOException e) {
            throw new LifeboatException("cannot create " + directory + " (" + e.getMessage() + ")", e);
        } finally {
            try {
                provider.delete(scratch);
                DirectoryRemoval.remove(directory);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(VolumeCopy.class).warn("cannot remove the scratch snapshot {} ({})",
                        directory, e.getMessage());
            }
        }
    }

    /** Removes a copy made by {@link #copy}. */
    static void release(Optional<SnapshotsConfig> snapshots, Path masterData, Path at) {
        Optional<Path> volumeRoot = snapshots.flatMap(VolumeCopy::volumeRoot).filter(masterData::startsWith);
        if (volumeRoot.isPresent() && Files.exists(at)) {
            SnapshotProviders.forConfig(snapshots.get()).release(at);
        } else {
            DirectoryRemoval.remove(at);
        }
    }

    /** Where the provider's volume is mounted; empty for the copy provider, which skips the WAL a restart needs. */
    private static Optional<Path> volumeRoot(SnapshotsConfig config) {
        return switch (config.provider()) {
            case BTRFS, COMMAND -> Optional.of(Path.of(config.volume()));
            case LVM, ZFS -> config.mount();
            case COPY -> Optional.empty();
        };
    }
}
