package io.lifeboat.snapshotter;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.SslMode;
import io.lifeboat.core.retention.RetentionSchedule;
import io.lifeboat.testkit.LocalPostgresCluster;
import io.lifeboat.testkit.LoopVolume;
import io.lifeboat.testkit.PostgresCluster;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** A master whose data directory lives on a btrfs subvolume of a loop volume, and a snapshots config for it. */
public final class SnapshotMaster implements AutoCloseable {
    public final LoopVolume volume;
    public final Path subvolume;
    public final PostgresCluster cluster;
    public final HikariDataSource dataSource;

    public SnapshotMaster() {
        volume = LoopVolume.btrfs(2L << 30);
        try {
            subvolume = volume.createSubvolume("pg");
            cluster = PostgresCluster.builder().parentDirectory(subvolume).start();
            cluster.createDatabase("app");
            dataSource = Pools.open(ServerRole.MASTER, connection(cluster));
        } catch (RuntimeException e) {
            volume.close();
            throw e;
        }
    }

    public static ConnectionConfig connection(PostgresCluster cluster) {
        return new ConnectionConfig(cluster.host(), cluster.port(), "app", cluster.superuser(), Optional.empty(),
                Optional.empty(), SslMode.DISABLE, Duration.ofSeconds(5));
    }

    public SnapshotsConfig config(SnapshotsConfig.Kind provider, Duration lockTimeout, SnapshotsConfig.Commands commands) {
        return new SnapshotsConfig(provider, subvolume.toString(), volume.mountPoint().resolve("snapshots"),
                Optional.empty(), RetentionSchedule.parse("1h,1d/7d"), lockTimeout, true, false, Optional.empty(),
                commands);
    }

    public SnapshotsConfig btrfs() {
        return config(SnapshotsConfig.Kind.BTRFS, Duration.ofSeconds(30),
                new SnapshotsConfig.Commands(Optional.empty(), Optional.empty(), Optional.empty()));
    }

    public Path dataDirectory() {
        return ((LocalPostgresCluster) cluster).dataDirectory();
    }

    @Override
    public void close() {
        try {
            dataSource.close();
            cluster.close();
        } finally {
            volume.close();
        }
    }
}
