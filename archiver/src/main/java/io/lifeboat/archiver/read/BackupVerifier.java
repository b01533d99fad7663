package io.lifeboat.archiver.read;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.manifest.ManifestSignature;
import io.lifeboat.core.progress.Progress;
import io.lifeboat.core.storage.ObjectNotFoundException;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.core.stream.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a backup on one target is whole, and with the secret key that it restores: every problem found is
 * one line in the report, and the outcome is recorded on the target for retention and {@code archive list}.
 */
public final class BackupVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(BackupVerifier.class);
    private static final int READ_BUFFER_BYTES = 256 << 10;
    private static final Duration PG_RESTORE_EXIT_LIMIT = Duration.ofMinutes(10);

    private final BackupStore store;
    private final Clock clock;

    public BackupVerifier(BackupStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * manifest readable, signature (when signer given: a missing or failing signature is a problem), every chunk
     * present with the manifest's size and SHA-256 (streamed and hashed, no keys needed). Records the outcome.
     */
    public VerifyReport verify(StoredBackup backup, Optional<PGPPublicKeyRing> signer) {
        long begin = System.nanoTime();
        List<Problem> problems = new ArrayList<>();
        checkObjects(backup.id(), signer, problems);
        return finish(backup, problems, false, begin);
    }

    /**
     * verify(...) plus: decrypt + decompress end to end (ChunkedInput → Pipeline.unwrap with the manifest's stage
     * list), plaintext size and SHA-256 equal the manifest's, and {@code pg_restore --list} reads the dump (fed on
     * stdin) without error. The content is checked only when the objects are whole.
     */
    public VerifyReport verifyContent(StoredBackup backup, Optional<PGPPublicKeyRing> signer, PGPSecretKeyRing key,
            char[] passphrase, Path workDirectory) {
        long begin = System.nanoTime();
        List<Problem> problems = new ArrayList<>();
        Optional<BackupManifest> manifest = checkObjects(backup.id(), signer, problems);
        if (!problems.isEmpty() || manifest.isEmpty()) {
            return finish(backup, problems, false, begin);
        }
        checkContent(backup.id(), manifest.get(), key, passphrase, workDirectory, problems);
        return finish(backup, problems, true, begin);
    }

    /**
     * What {@link #verifyContent} checks, without recording the outcome on the target: a look that changes nothing
     * (the recovery ladder's dry-run must leave every store as it was).
     */
    public VerifyReport inspectContent(StoredBackup backup, Optional<PGPPublicKeyRing> signer, PGPSecretKeyRing key,
            char[] passphrase, Path workDirectory) {
        long begin = System.nanoTime();
        List<Problem> problems = new ArrayList<>();
        Optional<BackupManifest> manifest = checkObjects(backup.id(), signer, problems);
        boolean contentChecked = problems.isEmpty() && manifest.isPresent();
        if (contentChecked) {
            checkContent(backup.id(), manifest.get(), key, passphrase, workDirectory, problems);
        }
        return new VerifyReport(backup, problems, contentChecked, (System.nanoTime() - begin) / 1_000_000);
    }

    /** Adds what is wrong with the manifest, its signature and the chunks; returns the manifest if readable. */
    private Optional<BackupManifest> checkObjects(BackupId id, Optional<PGPPublicKeyRing> signer,
            List<Problem> problems) {
        StorageTarget target = store.target();
        String origin = target.name() + ":" + id.manifestKey();
        byte[] bytes;
        try {
            bytes = store.manifestBytes(id);
        } catch (ObjectNotFoundException e) {
            problems.add(new Problem(Fault.ABSENT, "backup " + id + " on " + target.name()
                    + " is incomplete (no manifest)"));
            return Optional.empty();
        } catch (LifeboatException e) {
            problems.add(new Problem(Fault.UNREACHABLE, e.getMessage()));
            return Optional.empty();
        }
        if (signer.isPresent()) {
            try {
                Optional<byte[]> signature = store.signatureBytes(id);
                if (signature.isEmpty()) {
                    problems.add(new Problem(Fault.CORRUPT, "manifest " + origin + ": signature is missing"));
                } else {
                    ManifestSignature.verify(bytes, signature.get(), signer.get(), origin);
                }
            } catch (LifeboatException e) {
                problems.add(new Problem(damage(e), e.getMessage()));
            }
        }
        BackupManifest manifest;
        try {
            manifest = ManifestCodec.decode(bytes, origin);
        } catch (LifeboatException e) {
            problems.add(new Problem(Fault.CORRUPT, e.getMessage()));
            return Optional.empty();
        }
        if (!manifest.id().equals(id.toString())) {
            problems.add(new Problem(Fault.CORRUPT, "manifest " + origin + " is invalid: it names backup "
                    + manifest.id()));
            return Optional.empty();
        }
        for (ChunkEntry chunk : manifest.storedObjects()) {
            Optional<Problem> problem = checkChunk(target, chunk);
            problem.ifPresent(problems::add);
            if (problem.isPresent() && problem.get().fault() == Fault.UNREACHABLE) {
                // The target failed: asking it for every further chunk would only fail again, slowly.
                break;
            }
        }
        return Optional.of(manifest);
    }

    private static Optional<Problem> checkChunk(StorageTarget target, ChunkEntry chunk) {
        MessageDigest digest = Sha256.digest();
        long size = 0;
        try (InputStream in = target.open(chunk.key())) {
            byte[] buffer = new byte[READ_BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                size += n;
            }
        } catch (ObjectNotFoundException e) {
            return Optional.of(new Problem(Fault.CORRUPT, "chunk " + chunk.key() + " on " + target.name()
                    + " is missing"));
        } catch (IOException | LifeboatException e) {
            // Opening and reading are the storage's own calls: whatever failed there is the target, not the chunk.
            return Optional.of(new Problem(Fault.UNREACHABLE, "cannot read chunk " + chunk.key() + " on "
                    + target.name() + " (" + e.getMessage() + ")"));
        }
        if (size != chunk.size()) {
            return Optional.of(new Problem(Fault.CORRUPT, "chunk " + chunk.key() + " on " + target.name()
                    + " is corrupt (size " + size + ", expected " + chunk.size() + ")"));
        }
        if (!Sha256.hex(digest).equals(chunk.sha256())) {
            return Optional.of(new Problem(Fault.CORRUPT, "chunk " + chunk.key() + " on " + target.name()
                    + " is corrupt (sha256 mismatch)"));
        }
        return Optional.empty();
    }

    private void checkContent(BackupId id, BackupManifest manifest, PGPSecretKeyRing key, char[] passphrase,
            Path workDirectory, List<Problem> problems) {
        StorageTarget target = store.target();
        // A key the backup is not encrypted to is the caller's mistake, not the backup's: it is thrown, not recorded.
        DumpReader.requireRecipient(id, manifest, key);
        String pgRestore;
        try {
            pgRestore = DumpReader.programs(manifest).program("pg_restore").toString();
        } catch (LifeboatException e) {
            problems.add(new Problem(Fault.CORRUPT, e.getMessage()));
            return;
        }
        try (PgRestoreProcess list = PgRestoreProcess.start(List.of(pgRestore, "--list"), Map.of());
                Progress progress = Progress.start("verify " + id, Progress.Unit.BYTES, manifest.storedSize())) {
            OutputStream stdin = list.stdin();
            try {
                DumpReader.copy(target, id, manifest, key, passphrase, workDirectory, stdin, true, progress::stepTo);
            } catch (IOException e) {
                problems.add(new Problem(damage(e), "cannot read backup " + id + " on " + target.name() + " ("
                        + e.getMessage() + ")"));
                return;
            } catch (LifeboatException e) {
                problems.add(new Problem(damage(e), e.getMessage()));
                return;
            } finally {
                closeQuietly(stdin);
            }
            int exit = list.awaitExit(PG_RESTORE_EXIT_LIMIT);
            if (exit != 0) {
                problems.add(new Problem(Fault.CORRUPT, "pg_restore --list cannot read the dump of backup " + id
                        + " on " + target.name() + " (exit " + exit + ")" + list.lastLine()));
            }
        } catch (LifeboatException e) {
            // pg_restore could not be started or did not end: this host's trouble, not the backup's.
            problems.add(new Problem(Fault.UNREACHABLE, e.getMessage()));
        }
        if (manifest.roles().isPresent()) {
            try {
                DumpReader.globals(target, id, manifest, key, passphrase, workDirectory);
            } catch (IOException e) {
                problems.add(new Problem(damage(e), "cannot read the roles of backup " + id + " on " + target.name()
                        + " (" + e.getMessage() + ")"));
            } catch (LifeboatException e) {
                problems.add(new Problem(damage(e), e.getMessage()));
            }
        }
    }

    /** pg_restore --list may have stopped reading long before the end: its closed pipe is no problem. */
    private static void closeQuietly(OutputStream stdin) {
        try {
            stdin.close();
        } catch (IOException e) {
            // Nobody is reading any more; its exit code tells how it went.
        }
    }

    /** What a failure while reading a listed object means: a missing one is damage, like a wrong one. */
    private static Fault damage(Throwable failure) {
        Fault fault = Fault.of(failure);
        return fault == Fault.ABSENT ? Fault.CORRUPT : fault;
    }

    private VerifyReport finish(StoredBackup backup, List<Problem> problems, boolean contentChecked, long begin) {
        Verification verification = Verification.from(problems, clock.instant(), contentChecked);
        StoredBackup checked = backup;
        boolean manifestThere;
        try {
            manifestThere = store.target().stat(backup.id().manifestKey()).isPresent();
        } catch (LifeboatException e) {
            manifestThere = false;
            LOG.warn("cannot record the verification of backup {} on {} ({})", backup.id(), store.target().name(),
                    e.getMessage());
        }
        if (manifestThere) {
            try {
                store.record(backup.id(), verification);
                checked = new StoredBackup(backup.id(), backup.objects(), backup.manifest(), backup.manifestProblem(),
                        backup.signed(), Optional.of(verification));
            } catch (LifeboatException e) {
                // The report stands on its own; retention then sees the previous outcome.
                LOG.warn("{}", e.getMessage());
            }
        }
        long millis = (System.nanoTime() - begin) / 1_000_000;
        LOG.info("backup {} on {}: {} in {} ms{}", backup.id(), store.target().name(), verification.outcome(), millis,
                contentChecked ? " (content read)" : "");
        return new VerifyReport(checked, problems, contentChecked, millis);
    }
}
