package io.lifeboat.archiver.job;

import io.lifeboat.core.manifest.BackupManifest;
import java.time.Duration;
import java.util.List;

/** What one {@code archive run} produced: the manifest, the targets that hold the backup, and how long it took. */
public record ArchiveRun(BackupManifest manifest, List<String> targets, Duration dumpTime, Duration totalTime) {
}
