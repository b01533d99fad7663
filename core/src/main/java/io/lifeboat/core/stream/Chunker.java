package io.lifeboat.core.stream;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.StorageTarget;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of the archive pipeline: cuts the stream into objects of at most {@code chunkSize} on one target, keyed
 * {@code <backupId>/chunk-00001}, {@code chunk-00002}, … It hashes the bytes as they pass and commits each chunk
 * as soon as it is full, before the next one opens. {@link #commit()} commits the last chunk and returns the list
 * for the manifest; {@link #close()} without it aborts the open chunk. Chunks committed before an abort stay:
 * without a manifest they belong to no backup, and retention sweeps them.
 *
 * <p>Memory is whatever the target's output buffers (for S3, its parts in flight), independent of the data size;
 * the target uploads while this keeps accepting bytes.
 */
public final class Chunker extends OutputStream {
    private static final Logger LOG = LoggerFactory.getLogger(Chunker.class);

    private final StorageTarget target;
    private final String backupId;
    private final long chunkSize;
    private final List<ChunkEntry> chunks = new ArrayList<>();
    private final MessageDigest digest = Sha256.digest();
    private ObjectOutput open;
    private long openSize;
    private long openBegin;
    private boolean committed;
    private boolean closed;

    public Chunker(StorageTarget target, String backupId, DataSize chunkSize) {
        if (chunkSize.bytes() < 1) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        this.target = target;
        this.backupId = backupId;
        this.chunkSize = chunkSize.bytes();
    }

    /** The key of chunk {@code number} (from 1) of a backup: {@code <backupId>/chunk-00007}. */
    public static String key(String backupId, int number) {
        return String.format("%s/chunk-%05d", backupId, number);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        requireWritable();
        while (length > 0) {
            if (open == null) {
                openNext();
            }
            int n = (int) Math.min(length, chunkSize - openSize);
            open.write(bytes, offset, n);
            digest.update(bytes, offset, n);
            openSize += n;
            offset += n;
            length -= n;
            if (openSize == chunkSize) {
                commitOpen();
            }
        }
    }

    private void openNext() {
        open = target.create(key(backupId, chunks.size() + 1));
        openSize = 0;
        openBegin = System.nanoTime();
    }

    private void commitOpen() throws IOException {
        open.commit();
        ChunkEntry entry = new ChunkEntry(open.key(), openSize, Sha256.hex(digest));
        chunks.add(entry);
        long millis = (System.nanoTime() - openBegin) / 1_000_000;
        LOG.info("chunk {} ({}) committed on {} in {} ms", entry.key(), DataSize.ofBytes(entry.size()).approximate(),
                target.name(), millis);
        open = null;
    }

    /** Commits the last chunk and returns every chunk in order; no input gives no chunks. */
    public List<ChunkEntry> commit() throws IOException {
        requireWritable();
        if (open != null) {
            commitOpen();
        }
        committed = true;
        return List.copyOf(chunks);
    }

    /** The chunks committed so far, e.g. for a job that sweeps them after a failure. */
    public List<ChunkEntry> committedChunks() {
        return List.copyOf(chunks);
    }

    /** Without {@link #commit()}, aborts the open chunk; committed chunks stay for retention to sweep. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (!committed && open != null) {
            ObjectOutput aborted = open;
            open = null;
            aborted.close();
            LOG.info("backup {} aborted on {}: chunk {} discarded, {} committed chunks left for retention",
                    backupId, target.name(), aborted.key(), chunks.size());
        }
    }

    private void requireWritable() {
        if (committed || closed) {
            throw new IllegalStateException("chunker of backup " + backupId + " on " + target.name() + " is already "
                    + (committed ? "committed" : "closed"));
        }
    }
}
