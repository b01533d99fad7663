package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.nio.file.Path;
import java.time.Duration;

/** ZFS snapshots ({@code dataset@name}): atomic, so no freeze; writable copies are ZFS clones. */
public final class ZfsProvider implements SnapshotProvider {
    private static final String CLONE_SUFFIX = "-lifeboat-clone";

    private final String dataset;

    public ZfsProvider(SnapshotsConfig config) {
        this.dataset = config.volume();
    }

    @Override
    public SnapshotsConfig.Kind kind() {
        return SnapshotsConfig.Kind.ZFS;
    }

    @Override
    public boolean needsFreeze() {
        return false;
    }

    @Override
    public void preflight() {
        ToolRun.run("zfs", "list", "-H", "-o", "name", dataset);
    }

    @Override
    public void create(StoredSnapshot snapshot, Duration limit) {
        ToolRun.run(limit, java.util.List.of("zfs", "snapshot", dataset + "@" + snapshot.storageName()));
    }

    @Override
    public void rename(StoredSnapshot incomplete, StoredSnapshot complete) {
        ToolRun.run("zfs", "rename", dataset + "@" + incomplete.storageName(), dataset + "@" + complete.storageName());
    }

    @Override
    public void delete(StoredSnapshot snapshot) {
        ToolRun.run("zfs", "destroy", dataset + "@" + snapshot.storageName());
    }

    @Override
    public Path materialize(StoredSnapshot snapshot, Path at) {
        ToolRun.run("zfs", "clone", "-o", "mountpoint=" + at, dataset + "@" + snapshot.storageName(),
                cloneName(at));
        return at;
    }

    @Override
    public void release(Path materialized) {
        ToolRun.run("zfs", "destroy", cloneName(materialized));
    }

    private String cloneName(Path at) {
        return dataset + CLONE_SUFFIX + "-" + Integer.toHexString(at.toAbsolutePath().toString().hashCode());
    }
}
