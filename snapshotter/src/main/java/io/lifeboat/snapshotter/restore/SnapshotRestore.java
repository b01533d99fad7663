package io.lifeboat.snapshotter.restore;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.verify.ClonedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a cluster out of a snapshot at a new place: a writable copy, recovery to the snapshot's stop point, and
 * (with a port) a start; the snapshot itself stays as it was.
 */
public final class SnapshotRestore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotRestore.class);

    private final SnapshotProvider provider;

    public SnapshotRestore(SnapshotProvider provider) {
        this.provider = provider;
    }

    /**
     * @param port when present, the server is started on it and is writable when this returns; otherwise the data
     *        directory is left ready to start (it recovers and promotes on its first start)
     */
    public ClonedCluster restore(StoredSnapshot snapshot, Path to, OptionalInt port, Optional<Path> socketDirectory) {
        if (snapshot.incomplete()) {
            throw new LifeboatException("snapshot " + snapshot.storageName() + " is incomplete and cannot be restored");
        }
        if (Files.exists(to)) {
            throw new LifeboatException(to + " already exists; restore needs a new directory");
        }
        Path root = provider.materialize(snapshot, to);
        ClonedCluster cluster = null;
        try {
            int effectivePort = port.orElse(5432);
            cluster = ClonedCluster.prepare(snapshot, root, effectivePort, socketDirectory.orElse(null), List.of());
            if (port.isPresent()) {
                cluster.start();
                LOG.info("snapshot {}: restored to {} and running on port {}", snapshot.name(), cluster.dataDirectory(),
                        effectivePort);
            }
            return cluster;
        } catch (RuntimeException e) {
            try {
                // A server that started (or half started) on the copy is stopped before the copy is removed under it.
                if (cluster != null && port.isPresent()) {
                    cluster.stop();
                }
                provider.release(root);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }
}
