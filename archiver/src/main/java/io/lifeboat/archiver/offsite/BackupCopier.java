package io.lifeboat.archiver.offsite;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.stream.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a complete backup from one target to another, chunk by chunk, hashing each on the way and committing it
 * only when its SHA-256 and size match the manifest; the manifest (and signature) go last, so the copy exists on
 * the destination only once it is whole.
 */
public final class BackupCopier {
    private static final Logger LOG = LoggerFactory.getLogger(BackupCopier.class);
    private static final int BUFFER_BYTES = 1 << 20;

    private final BackupStore from;
    private final BackupStore to;

    public BackupCopier(BackupStore from, BackupStore to) {
        this.from = from;
        this.to = to;
    }

    public void copy(StoredBackup backup) {
        BackupManifest manifest = backup.manifest().orElseThrow(() -> new LifeboatException("backup " + backup.id()
                + " on " + from.target().name() + " is incomplete and cannot be copied"));
        long began = System.nanoTime();
        long bytes = 0;
        for (ChunkEntry chunk : manifest.storedObjects()) {
            // Always sent again: an object of the same key and size on the destination proves nothing about its
            // bytes, and the commit replaces it only once the new copy's hash matches the manifest.
            copyChunk(chunk);
            bytes += chunk.size();
        }
        BackupId id = backup.id();
        try {
            to.publish(id, from.manifestBytes(id), from.signatureBytes(id));
        } catch (IOException e) {
            throw new LifeboatException("cannot write the manifest of " + id + " to " + to.target().name() + " ("
                    + e.getMessage() + ")", e);
        }
        LOG.info("backup {}: copied {} bytes from {} to {} in {} ms", id, bytes, from.target().name(),
                to.target().name(), (System.nanoTime() - began) / 1_000_000);
    }

    private void copyChunk(ChunkEntry chunk) {
        MessageDigest digest = Sha256.digest();
        long size = 0;
        try (InputStream in = new DigestInputStream(from.target().open(chunk.key()), digest);
             ObjectOutput out = to.target().create(chunk.key())) {
            byte[] buffer = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                size += n;
            }
            String hash = Sha256.hex(digest);
            if (size != chunk.size() || !hash.equals(chunk.sha256())) {
                throw new LifeboatException("chunk " + chunk.key() + " on " + from.target().name()
                        + " is corrupt (" + (size != chunk.size() ? "size " + size + ", expected " + chunk.size()
                        : "sha256 mismatch") + "); not copied to " + to.target().name());
            }
            out.commit();
        } catch (IOException e) {
            throw new LifeboatException("cannot copy chunk " + chunk.key() + " from " + from.target().name() + " to "
                    + to.target().name() + " (" + e.getMessage() + ")", e);
        }
    }
}
