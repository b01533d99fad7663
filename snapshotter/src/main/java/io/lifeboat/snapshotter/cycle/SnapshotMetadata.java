package io.lifeboat.snapshotter.cycle;

import java.util.List;
import java.util.Map;

/**
 * What a restore needs to know about a snapshot, kept as {@code snapshot.json} beside it (with the
 * {@code backup_label}, {@code tablespace_map} and the WAL from backup start to stop), so the store describes itself.
 *
 * @param dataRelative the data directory's path inside the volume
 * @param walSegments the WAL segment files saved in {@code wal/}, from the backup's start to its stop
 * @param stepMillis how long each step took: lock, sync, freeze, snapshot, thaw, unlock, wal
 */
public record SnapshotMetadata(
        int format,
        String name,
        String provider,
        String volume,
        String dataDirectory,
        String dataRelative,
        String systemIdentifier,
        String serverVersion,
        int timeline,
        String startLsn,
        String stopLsn,
        String startedAt,
        String snapshottedAt,
        String finishedAt,
        long writeBlockedMillis,
        Map<String, Long> stepMillis,
        List<String> walSegments,
        long volumeBytes) {
    public static final int FORMAT = 1;
}
