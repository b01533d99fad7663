package io.lifeboat.core.config;

import java.nio.file.Path;
import java.util.Optional;

/** Everything in one {@code lifeboat.yml}, validated, with defaults filled in. */
public record LifeboatConfig(Path source, ConnectionConfig master, ConnectionConfig standby,
        ReplicationConfig replication, ArchiveConfig archive, Optional<SnapshotsConfig> snapshots,
        RecoveryConfig recovery, ServiceConfig service, MonitorConfig monitor) {
}
