package io.lifeboat.core.config;

import java.nio.file.Path;

/** Everything in one {@code lifeboat.yml}, validated, with defaults filled in. */
public record LifeboatConfig(Path source, ConnectionConfig master, ConnectionConfig standby,
        ReplicationConfig replication, ArchiveConfig archive) {
}
