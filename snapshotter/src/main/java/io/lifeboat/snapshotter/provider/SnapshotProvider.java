package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One way of snapshotting the master's data volume. {@link #create} runs while the master is in backup mode (and
 * frozen, when {@link #needsFreeze()}), so it does that and nothing else.
 */
public interface SnapshotProvider {
    SnapshotsConfig.Kind kind();

    /** Whether the filesystem must be frozen around {@link #create}: only for snapshots that are not atomic. */
    boolean needsFreeze();

    /** Checks tools, paths and permissions before anything is locked. */
    void preflight();

    /** Takes the snapshot under {@code snapshot.storageName()}; must give up within {@code limit}. */
    void create(StoredSnapshot snapshot, Duration limit);

    /** Gives the provider's own object the complete name, where it lives outside the metadata directory. */
    void rename(StoredSnapshot incomplete, StoredSnapshot complete);

    /** Deletes the snapshot's storage; a snapshot that is already gone is not an error. */
    void delete(StoredSnapshot snapshot);

    /**
     * Makes a writable copy of the snapshotted volume at {@code at} (which must not exist), never touching the
     * snapshot itself, and returns the directory that holds the volume's content.
     */
    Path materialize(StoredSnapshot snapshot, Path at);

    /** Removes a copy made by {@link #materialize}. */
    void release(Path materialized);
}
