package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Classic LVM snapshots ({@code lvcreate --snapshot}). They are not atomic for a mounted ext4/xfs, so the filesystem
 * is frozen around {@link #create}. A classic snapshot cannot be snapshotted again, so a writable copy is made by
 * mounting the snapshot read-only and copying it.
 */
public final class LvmProvider implements SnapshotProvider {
    private final String volumeGroup;
    private final String logicalVolume;
    private final SnapshotsConfig config;

    public LvmProvider(SnapshotsConfig config) {
        this.config = config;
        String[] parts = config.volume().split("/");
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new LifeboatException("snapshots.volume '" + config.volume() + "' is not VG/LV for the lvm provider");
        }
        this.volumeGroup = parts[0];
        this.logicalVolume = parts[1];
    }

    @Override
    public SnapshotsConfig.Kind kind() {
        return SnapshotsConfig.Kind.LVM;
    }

    @Override
    public boolean needsFreeze() {
        return true;
    }

    @Override
    public void preflight() {
        ToolRun.run("lvs", "--noheadings", "-o", "lv_name", volumeGroup + "/" + logicalVolume);
    }

    @Override
    public void create(StoredSnapshot snapshot, Duration limit) {
        long bytes = config.lvmSnapshotSize().orElseThrow().bytes();
        ToolRun.run(limit, java.util.List.of("lvcreate", "--snapshot", "--name", snapshot.storageName(),
                "--size", bytes + "b", volumeGroup + "/" + logicalVolume));
    }

    @Override
    public void rename(StoredSnapshot incomplete, StoredSnapshot complete) {
        ToolRun.run("lvrename", volumeGroup, incomplete.storageName(), complete.storageName());
    }

    @Override
    public void delete(StoredSnapshot snapshot) {
        ToolRun.run("lvremove", "--yes", volumeGroup + "/" + snapshot.storageName());
    }

    @Override
    public Path materialize(StoredSnapshot snapshot, Path at) {
        Path mountPoint;
        try {
            mountPoint = Files.createTempDirectory("lifeboat-lvm-");
        } catch (IOException e) {
            throw new LifeboatException("cannot create a mount point (" + e.getMessage() + ")", e);
        }
        ToolRun.run("mount", "-o", "ro", "/dev/" + volumeGroup + "/" + snapshot.storageName(), mountPoint.toString());
        try {
            return VolumeCopy.copy(mountPoint, at);
        } finally {
            ToolRun.run("umount", mountPoint.toString());
            DirectoryRemoval.remove(mountPoint);
        }
    }

    @Override
    public void release(Path materialized) {
        DirectoryRemoval.remove(materialized);
    }
}
