package io.lifeboat.archiver.job;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.archiver.dump.GlobalsDump;
import io.lifeboat.archiver.dump.StandbyDump;
import io.lifeboat.archiver.offsite.BackupCopier;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.manifest.ManifestSignature;
import io.lifeboat.core.openpgp.PublicKeyFile;
import io.lifeboat.core.openpgp.SecretKeyFile;
import io.lifeboat.core.progress.Progress;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.core.stream.Chunker;
import io.lifeboat.core.stream.OpenPgpStage;
import io.lifeboat.core.stream.Pipeline;
import io.lifeboat.core.stream.Stage;
import io.lifeboat.core.stream.ThreadedStage;
import io.lifeboat.core.stream.ZstdStage;
import io.lifeboat.core.stream.Sha256;
import io.lifeboat.core.storage.ObjectOutput;
import java.io.ByteArrayInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code archive run}: pg_dump of the standby → zstd → OpenPGP → chunks on the first target, the manifest last;
 * then a hash-checked copy to every further target. Nothing of the dump touches local disk, and memory is bounded
 * by the stages' buffers and the upload parts in flight, whatever the database's size.
 *
 * <p>Beside the dump it keeps what a dump of one database lacks: the cluster's roles and memberships
 * ({@code pg_dumpall --globals-only}), taken from the master when it answers (the standby's roles are whatever its
 * operator made), else from the standby, through the same stages into the object {@code <id>/globals}.
 */
public final class ArchiveJob {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveJob.class);
    private static final int COPY_BUFFER_BYTES = 1 << 20;

    private final ArchiveConfig config;
    private final ConnectionConfig standbyServer;
    private final DataSource standby;
    private final String slot;
    private final Clock clock;
    private final Optional<Master> master;

    /** A job that knows only the standby: the roles are taken from it. */
    public ArchiveJob(ArchiveConfig config, ConnectionConfig standbyServer, DataSource standby, String slot,
            Clock clock) {
        this(config, standbyServer, standby, slot, clock, Optional.empty());
    }

    private ArchiveJob(ArchiveConfig config, ConnectionConfig standbyServer, DataSource standby, String slot,
            Clock clock, Optional<Master> master) {
        this.config = config;
        this.standbyServer = standbyServer;
        this.standby = standby;
        this.slot = slot;
        this.clock = clock;
        this.master = master;
    }

    /**
     * This job, asking the master first when it answers: for the roles, and to bring the standby's sequences up to
     * the master's just before the dump's snapshot is exported.
     *
     * @param pool      opened on first use; a master that does not answer is a WARN line, never a failed run
     * @param sequences the replicator's sequence sync
     */
    public ArchiveJob withMaster(ConnectionConfig server, Supplier<DataSource> pool, SequenceCatchUp sequences) {
        return new ArchiveJob(config, standbyServer, standby, slot, clock,
                Optional.of(new Master(server, pool, sequences)));
    }

    /** How to reach the master; the pool is opened lazily because the master may be down. */
    private record Master(ConnectionConfig server, Supplier<DataSource> pool, SequenceCatchUp sequences) {
    }

    public ArchiveRun run() {
        if (config.targets().isEmpty()) {
            throw new LifeboatException("archive.targets is empty: there is nowhere to store the backup");
        }
        if (config.recipients().isEmpty()) {
            throw new LifeboatException("archive.recipients is empty: backups are always encrypted to a public key",
                    "export one with: gpg --export --armor KEY > backup.pub.asc, and list it in archive.recipients",
                    null);
        }
        List<PGPPublicKey> keys = new ArrayList<>();
        List<String> fingerprints = new ArrayList<>();
        for (Path file : config.recipients()) {
            keys.addAll(PublicKeyFile.read(file));
            fingerprints.addAll(PublicKeyFile.fingerprints(file));
        }
        Optional<PGPSecretKeyRing> signer = config.signingKey().map(file -> SecretKeyFile.read(file,
                config.signingPassphrase().map(secret -> secret.reveal().toCharArray()).orElse(new char[0])));
        long began = System.nanoTime();
        ArchiveTarget firstTarget = config.targets().get(0);
        List<String> done = new ArrayList<>();
        // Held until every target has the backup: a second run would otherwise pick the same id, write into the
        // same objects and, failing, delete this run's chunks.
        ArchiveLock lock = ArchiveLock.acquire(standby);
        try (lock; StorageTarget first = StorageTargets.open(config, firstTarget)) {
            BackupStore firstStore = new BackupStore(first);
            Instant startedAt = clock.instant();
            BackupId id = freshId(first, startedAt);
            startedAt = id.startedAt();
            BackupManifest manifest;
            Optional<Connection> masterConnection = openMaster();
            try {
                Optional<Globals> globals = globals(masterConnection);
                manifest = dumpInto(first, id, startedAt, keys, fingerprints, globals, masterConnection);
            } finally {
                masterConnection.ifPresent(ArchiveJob::closeQuietly);
            }
            Duration dumpTime = Duration.ofNanos(System.nanoTime() - began);
            byte[] manifestBytes = ManifestCodec.encode(manifest);
            Optional<byte[]> signature = signer.map(ring -> ManifestSignature.sign(manifestBytes, ring,
                    config.signingPassphrase().map(secret -> secret.reveal().toCharArray()).orElse(new char[0])));
            firstStore.publish(id, manifestBytes, signature);
            done.add(first.name());
            LOG.info("backup {}: {} bytes of dump stored as {} chunks ({} bytes) on {} in {} ms", id,
                    manifest.plaintextSize(), manifest.chunks().size(), manifest.storedSize(), first.name(),
                    dumpTime.toMillis());
            for (ArchiveTarget further : config.targets().subList(1, config.targets().size())) {
                try (StorageTarget other = StorageTargets.open(config, further)) {
                    new BackupCopier(firstStore, new BackupStore(other))
                            .copy(firstStore.find(Optional.of(id.toString())));
                    done.add(other.name());
                }
            }
            return new ArchiveRun(manifest, done, dumpTime, Duration.ofNanos(System.nanoTime() - began));
        } catch (IOException e) {
            throw new LifeboatException("archive run failed (" + e.getMessage() + ")", e);
        } catch (Exception e) {
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new LifeboatException("archive run failed (" + e.getMessage() + ")", e);
        }
    }

    /**
     * An id no object on the target uses yet, so a run never writes into another backup (ids are per second).
     * Listing also reaches the target before pg_dump starts: a missing bucket or denied credentials are one line.
     */
    private static BackupId freshId(StorageTarget target, Instant now) throws InterruptedException {
        BackupId id = new BackupId(now);
        for (int attempt = 0; attempt < 3; attempt++) {
            if (target.list(id + "/").isEmpty()) {
                return id;
            }
            Thread.sleep(1_000);
            id = new BackupId(id.startedAt().plusSeconds(1));
        }
        throw new LifeboatException("backups " + id + " and the seconds before it already exist on " + target.name());
    }

    /** The roles as pg_dumpall writes them, with where they came from; empty (after a WARN) when none could be had. */
    private Optional<Globals> globals(Optional<Connection> masterConnection) {
        String from = masterConnection.isPresent() ? "master" : "standby";
        ConnectionConfig server = masterConnection.isPresent() ? master.orElseThrow().server() : standbyServer;
        Connection standbyConnection = null;
        try {
            Connection connection = masterConnection.isPresent() ? masterConnection.get()
                    : (standbyConnection = standby.getConnection());
            GlobalsDump dump = GlobalsDump.capture(server, connection);
            if (!dump.rolePasswords()) {
                LOG.warn("archive: roles taken from the {} without their passwords: user {} cannot read"
                        + " pg_catalog.pg_authid (a superuser can); after a restore give each login role its password"
                        + " with ALTER ROLE ... PASSWORD", from, dump.user());
            }
            return Optional.of(new Globals(dump, from));
        } catch (SQLException | LifeboatException e) {
            LOG.warn("archive: the backup will hold no roles: cannot take them from the {} at {} ({})", from,
                    server.address(), e.getMessage());
            return Optional.empty();
        } finally {
            closeQuietly(standbyConnection);
        }
    }

    /**
     * Just before the snapshot is exported: the standby's sequences up to the master's, so the dump's sequences are
     * not behind the ids it holds. Without the master the dump goes on with a WARN line (said when it did not answer).
     */
    private void catchUpSequences(Optional<Connection> masterConnection) {
        if (masterConnection.isEmpty()) {
            return;
        }
        long begin = System.nanoTime();
        try (Connection standbyConnection = standby.getConnection()) {
            int moved = master.orElseThrow().sequences().run(masterConnection.get(), standbyConnection);
            LOG.info("archive: {} standby sequences brought up to the master's before the dump, in {} ms", moved,
                    (System.nanoTime() - begin) / 1_000_000);
        } catch (SQLException | LifeboatException e) {
            LOG.warn("archive: the standby's sequences were not brought up to the master's before the dump ({}); the"
                    + " backup's sequences may lag its rows by up to the sequence sync interval", e.getMessage());
        }
    }

    /** A connection to the master, or empty after one WARN line when there is no master or it does not answer. */
    private Optional<Connection> openMaster() {
        if (master.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(master.get().pool().get().getConnection());
        } catch (SQLException | LifeboatException e) {
            LOG.warn("archive: the master at {} does not answer ({}); roles are taken from the standby, and its"
                    + " sequences are dumped as the last sequence sync left them", master.get().server().address(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing a connection failed", e);
            }
        }
    }

    /** The roles captured and the server they came from ({@code master} or {@code standby}). */
    private record Globals(GlobalsDump dump, String from) {
    }

    private BackupManifest dumpInto(StorageTarget target, BackupId id, Instant startedAt, List<PGPPublicKey> keys,
            List<String> fingerprints, Optional<Globals> globals, Optional<Connection> masterConnection)
            throws IOException {
        List<Stage> stages = new ArrayList<>();
        config.compressionLevel().ifPresent(level -> stages.add(new ZstdStage(level)));
        // Encryption and the upload hand-off run on a second thread, overlapping compression.
        stages.add(new ThreadedStage(new OpenPgpStage(keys)));
        MessageDigest plaintext = Sha256.digest();
        long plaintextSize = 0;
        List<ChunkEntry> chunks;
        BackupManifest.Globals storedGlobals = null;
        catchUpSequences(masterConnection);
        StandbyDump dump = StandbyDump.start(standby, standbyServer, slot);
        Chunker chunker = new Chunker(target, id.toString(), config.chunkSize());
        boolean committed = false;
        try {
            // The dump's size is known only at its end (the database's size says little of it): no total, no ETA.
            try (Progress progress = Progress.start("archive run " + id, Progress.Unit.BYTES, -1);
                    OutputStream out = Pipeline.wrap(stages, chunker)) {
                InputStream in = dump.output();
                byte[] buffer = new byte[COPY_BUFFER_BYTES];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    plaintext.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    plaintextSize += n;
                    progress.stepTo(plaintextSize);
                }
            } catch (IOException e) {
                throw dump.failure().map(LifeboatException::new).orElseGet(() -> explained(e, id, target));
            }
            dump.awaitSuccess();
            chunks = chunker.commit();
            if (globals.isPresent()) {
                storedGlobals = store(target, id, globals.get(), keys);
            }
            committed = true;
        } finally {
            if (!committed) {
                abandon(chunker, target, id);
            }
            dump.close();
        }
        return BackupManifest.of(id.toString(), startedAt, clock.instant(), dump.source(), dump.masterLsn(),
                dump.masterTime().orElse(null), dump.schema().value(), "custom",
                Pipeline.names(stages), config.compressionLevel().isPresent() ? config.compressionLevel().getAsInt()
                        : null, fingerprints, chunks, plaintextSize, Sha256.hex(plaintext), storedGlobals);
    }

    /** The globals through the same stages as the dump (same recipients), as one object; listed in the manifest. */
    private BackupManifest.Globals store(StorageTarget target, BackupId id, Globals globals, List<PGPPublicKey> keys)
            throws IOException {
        List<Stage> stages = new ArrayList<>();
        config.compressionLevel().ifPresent(level -> stages.add(new ZstdStage(level)));
        stages.add(new OpenPgpStage(keys));
        byte[] sql = globals.dump().sql();
        MessageDigest stored = Sha256.digest();
        long[] storedSize = {0};
        try (ObjectOutput object = target.create(id.globalsKey())) {
            OutputStream counted = new FilterOutputStream(object) {
                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    out.write(bytes, offset, length);
                    stored.update(bytes, offset, length);
                    storedSize[0] += length;
                }

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }
            };
            try (OutputStream out = Pipeline.wrap(stages, counted)) {
                new ByteArrayInputStream(sql).transferTo(out);
            }
            object.commit();
        }
        return new BackupManifest.Globals(new ChunkEntry(id.globalsKey(), storedSize[0], Sha256.hex(stored)),
                sql.length, sha256(sql), globals.from(), globals.dump().rolePasswords());
    }

    /** The storage's own one-line reason when a stage carried it up wrapped; else the I/O error itself. */
    private static LifeboatException explained(IOException e, BackupId id, StorageTarget target) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof LifeboatException lifeboat) {
                return lifeboat;
            }
        }
        return new LifeboatException("cannot store backup " + id + " on " + target.name() + " (" + e.getMessage() + ")",
                e);
    }

    private static String sha256(byte[] bytes) {
        MessageDigest digest = Sha256.digest();
        digest.update(bytes);
        return Sha256.hex(digest);
    }

    /** A failed run leaves no manifest, and removes what chunks (and globals) it managed to commit. */
    private static void abandon(Chunker chunker, StorageTarget target, BackupId id) {
        try {
            chunker.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("backup {}: aborting the open chunk failed", id, e);
        }
        for (ChunkEntry chunk : chunker.committedChunks()) {
            try {
                target.delete(chunk.key());
            } catch (RuntimeException e) {
                LOG.warn("backup {}: cannot remove chunk {} from {} ({}); retention sweeps it later", id, chunk.key(),
                        target.name(), e.getMessage());
            }
        }
    }
}
