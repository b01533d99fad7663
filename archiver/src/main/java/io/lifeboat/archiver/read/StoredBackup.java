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
 * @param verification    the last recorded verification, only for a backup with a readable manifest
 */
public record StoredBackup(BackupId id, List<ObjectInfo> objects, Optional<BackupManifest> manifest,
        Optional<String> manifestProblem, boolean signed, Optional<Verification> verification) {

    public StoredBackup {
        objects = List.copyOf(objects);
    }

    /** A backup never verified. */
    public StoredBackup(BackupId id, List<ObjectInfo> objects, Optional<BackupManifest> manifest,
            Optional<String> manifestProblem, boolean signed) {
        this(id, objects, manifest, manifestProblem, signed, Optional.empty());
    }

    public boolean complete() {
        return manifest.isPresent();
    }

    /** Complete, and its last recorded verification found nothing wrong. */
    public boolean verified() {
        return complete() && verification.map(Verification::ok).orElse(false);
    }

    /** {@code incomplete}, {@code corrupt}, {@code complete} (never verified) or the last verification's outcome. */
    public String state() {
        if (manifestProblem.isPresent()) {
            return "corrupt";
        }
        if (manifest.isEmpty()) {
            return "incomplete";
        }
        return verification.map(Verification::outcome).orElse("complete");
    }

    public long storedBytes() {
        return objects.stream().mapToLong(ObjectInfo::size).sum();
    }
}
