package io.lifeboat.snapshotter.quiesce;

import io.lifeboat.core.db.Lsn;

/** What {@code pg_backup_stop} returns: the stop position and the files a restore puts into the data directory. */
public record BackupStop(Lsn stopLsn, String backupLabel, String tablespaceMap) {
}
