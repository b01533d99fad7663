package io.lifeboat.snapshotter.cycle;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One snapshot as found in the store.
 *
 * @param storageName the name the provider knows it by (ends in {@code _incomplete} while incomplete)
 * @param directory its metadata directory; btrfs and copy snapshots keep the volume itself in {@code volume/} there
 * @param metadata absent while incomplete
 */
public record StoredSnapshot(SnapshotName name, String storageName, Path directory, boolean incomplete,
        Optional<SnapshotMetadata> metadata, Optional<Verification> verification) {

    public Path volumeCopy() {
        return directory.resolve("volume");
    }

    public Path walDirectory() {
        return directory.resolve("wal");
    }

    public Path backupLabel() {
        return directory.resolve("backup_label");
    }

    public Path tablespaceMap() {
        return directory.resolve("tablespace_map");
    }

    /** complete, incomplete, verified or corrupt. */
    public String state() {
        if (incomplete) {
            return "incomplete";
        }
        return verification.map(Verification::outcome).orElse("complete");
    }

    public boolean verified() {
        return verification.map(Verification::verified).orElse(false);
    }

    public boolean corrupt() {
        return verification.map(v -> !v.verified()).orElse(false);
    }
}
