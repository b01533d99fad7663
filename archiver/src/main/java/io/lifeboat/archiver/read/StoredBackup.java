package io.lifeboat.archiver.read;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.storage.ObjectInfo;
import java.util.List;
import java.util.Optional;

/**
 * One backup as found on a target: its objects, and its manifest when it has one. Without a manifest a backup is
 * incomplete: never restorable, never counted for retention.
 *
 * @param manifestProblem why a manifest that exists could not be read (then the backup counts as corrupt)
 */
public record StoredBackup(BackupId id, List<ObjectInfo> objects, Optional<BackupManifest> manifest,
        Optional<String> manifestProblem, boolean signed) {

    public boolean complete() {
        return manifest.isPresent();
    }

    public String state() {
        if (manifestProblem.isPresent()) {
            return "corrupt";
        }
        return manifest.isPresent() ? "complete" : "incomplete";
    }

    public long storedBytes() {
        return objects.stream().mapToLong(ObjectInfo::size).sum();
    }
}
