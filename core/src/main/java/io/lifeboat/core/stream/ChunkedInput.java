package io.lifeboat.core.stream;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.storage.ObjectNotFoundException;
import io.lifeboat.core.storage.StorageTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;

/**
 * A backup's stored bytes, read back chunk by chunk from a target. Each chunk is downloaded whole into a temp
 * file in {@code spoolDirectory} and its size and SHA-256 checked against the manifest before any of its bytes
 * are passed on; the temp file is deleted as soon as the chunk has been read (and by {@link #close()}: close
 * this stream itself, as decoders on top of it need not close what they read from). So a corrupt chunk never reaches
 * a decoder, and disk use is one chunk at a time.
 */
public final class ChunkedInput extends InputStream {
    private static final int COPY_BUFFER_BYTES = 256 << 10;

    private final StorageTarget target;
    private final List<ChunkEntry> chunks;
    private final Path spoolDirectory;
    private int next;
    private Path spooled;
    private InputStream current;
    private long remaining;
    private boolean closed;

    public ChunkedInput(StorageTarget target, List<ChunkEntry> chunks, Path spoolDirectory) {
        this.target = target;
        this.chunks = List.copyOf(chunks);
        this.spoolDirectory = spoolDirectory;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("chunked input is closed");
        }
        if (length == 0) {
            return 0;
        }
        while (true) {
            if (current == null) {
                if (next == chunks.size()) {
                    return -1;
                }
                openNext();
            }
            int n = current.read(buffer, offset, length);
            if (n > 0) {
                remaining -= n;
                // Decoders stop at the end of their format and may never ask for the end of the stream.
                if (remaining == 0) {
                    release();
                }
                return n;
            }
            release();
        }
    }

    private void openNext() throws IOException {
        ChunkEntry chunk = chunks.get(next++);
        Path file = Files.createTempFile(spoolDirectory, ".chunk-", ".part");
        spooled = file;
        MessageDigest digest = Sha256.digest();
        long size = 0;
        try (InputStream in = download(chunk);
             OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[COPY_BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                size += n;
                if (size > chunk.size()) {
                    throw corrupt(chunk, "larger than the " + chunk.size() + " bytes in the manifest");
                }
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            release();
            if (e instanceof LifeboatException l) {
                throw l;
            }
            throw new LifeboatException("cannot read chunk " + chunk.key() + " on " + target.name()
                    + " (" + e.getMessage() + ")", e);
        }
        if (size != chunk.size()) {
            release();
            throw corrupt(chunk, "size " + size + ", expected " + chunk.size());
        }
        if (!Sha256.hex(digest).equals(chunk.sha256().toLowerCase(Locale.ROOT))) {
            release();
            throw corrupt(chunk, "sha256 mismatch");
        }
        current = Files.newInputStream(file);
        remaining = size;
    }

    private InputStream download(ChunkEntry chunk) {
        try {
            return target.open(chunk.key());
        } catch (ObjectNotFoundException e) {
            throw new LifeboatException("chunk " + chunk.key() + " on " + target.name() + " is missing",
                    "the backup is incomplete on " + target.name() + "; restore from another target or backup", e);
        }
    }

    private LifeboatException corrupt(ChunkEntry chunk, String why) {
        return new LifeboatException("chunk " + chunk.key() + " on " + target.name() + " is corrupt (" + why + ")",
                "restore from another target or an older backup", null);
    }

    private void release() throws IOException {
        try {
            if (current != null) {
                current.close();
            }
        } finally {
            current = null;
            if (spooled != null) {
                Files.deleteIfExists(spooled);
                spooled = null;
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            release();
        }
    }
}
