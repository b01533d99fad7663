package io.lifeboat.snapshotter.verify;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.server.AmcheckReport;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.cycle.Verification;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves a snapshot restores: a writable clone (the snapshot itself is never touched), PostgreSQL started on it on a
 * spare port (recovery from the backup label to the stop point), {@code pg_amcheck} of every database and a sanity
 * query; then the clone is removed and the outcome recorded beside the snapshot and in the catalog.
 */
public final class SnapshotVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotVerifier.class);

    private final SnapshotProvider provider;
    private final SnapshotStore store;
    private final VerificationLog log;
    private final Clock clock;

    public SnapshotVerifier(SnapshotProvider provider, SnapshotStore store, VerificationLog log, Clock clock) {
        this.provider = provider;
        this.store = store;
        this.log = log;
        this.clock = clock;
    }

    public Verification verify(StoredSnapshot snapshot) {
        long began = System.nanoTime();
        String outcome = Verification.VERIFIED;
        String reason;
        Path clone = store.root().resolve(".verify-" + snapshot.name().complete());
        Path socketDirectory = null;
        try {
            if (Files.exists(clone)) {
                provider.release(clone);
            }
            Path root = provider.materialize(snapshot, clone);
            socketDirectory = privateSocketDirectory(root.resolve(snapshot.metadata().orElseThrow().dataRelative()));
            ClonedCluster cluster = ClonedCluster.prepare(snapshot, root, sparePort(), socketDirectory,
                    List.of("listen_addresses = ''"));
            reason = check(cluster);
        } catch (CorruptSnapshotException e) {
            outcome = Verification.CORRUPT;
            reason = e.getMessage();
        } finally {
            releaseQuietly(clone);
            if (socketDirectory != null) {
                deleteQuietly(socketDirectory);
            }
        }
        Verification verification = new Verification(outcome, reason, clock.instant().toString(),
                (System.nanoTime() - began) / 1_000_000);
        store.record(snapshot, verification);
        log.record(snapshot, verification);
        if (verification.verified()) {
            LOG.info("snapshot {}: verified ({})", snapshot.name(), reason);
        } else {
            LOG.warn("snapshot {}: CORRUPT: {}", snapshot.name(), reason);
        }
        return verification;
    }

    private static String check(ClonedCluster cluster) {
        try {
            try {
                cluster.start();
            } catch (LifeboatException e) {
                throw new CorruptSnapshotException("does not start: " + e.getMessage());
            }
            AmcheckReport amcheck = cluster.amcheck();
            // pg_amcheck exits 2 when it found corruption; anything else non-zero is the tool failing to check.
            if (amcheck.corruptionFound()) {
                throw new CorruptSnapshotException("pg_amcheck found corruption: " + amcheck.detail());
            }
            if (!amcheck.clean()) {
                throw new LifeboatException("pg_amcheck could not check the copy (exit " + amcheck.exitCode() + "): "
                        + amcheck.detail());
            }
            String databases = cluster.query("SELECT count(*) FROM pg_database WHERE datallowconn").strip();
            String relations = cluster.query("SELECT count(*) FROM pg_class").strip();
            return "started at its stop LSN; pg_amcheck --heapallindexed clean on " + databases + " databases; "
                    + relations + " relations in postgres"
                    + (amcheck.notChecked().isEmpty() ? "" : "; not checked: " + String.join(", ", amcheck.notChecked()));
        } finally {
            cluster.stop();
        }
    }

    private Path privateSocketDirectory(Path dataDirectory) {
        try {
            Path directory = Files.createTempDirectory("lifeboat-verify-");
            ExternalCommand.of("chown", Files.getOwner(dataDirectory).getName(), directory.toString())
                    .timeout(Duration.ofSeconds(10)).run();
            return directory;
        } catch (IOException e) {
            throw new LifeboatException("cannot create a socket directory (" + e.getMessage() + ")", e);
        }
    }

    private void releaseQuietly(Path clone) {
        try {
            if (Files.exists(clone)) {
                provider.release(clone);
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot remove the verification copy {} ({})", clone, e.getMessage());
        }
    }

    private static void deleteQuietly(Path directory) {
        try (var entries = Files.list(directory)) {
            for (Path entry : entries.toList()) {
                Files.deleteIfExists(entry);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.debug("cannot remove {}", directory, e);
        }
    }

    static int sparePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LifeboatException("no spare port (" + e.getMessage() + ")", e);
        }
    }
}
