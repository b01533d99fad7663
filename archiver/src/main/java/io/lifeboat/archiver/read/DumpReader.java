package io.lifeboat.archiver.read;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.storage.PrivateFiles;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.core.stream.ChunkedInput;
import io.lifeboat.core.stream.OpenPgpDecryption;
import io.lifeboat.core.stream.Pipeline;
import io.lifeboat.core.stream.ZstdDecoding;
import io.lifeboat.core.stream.Sha256;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.openpgp.PGPSecretKeyRing;

/**
 * Reads a backup's dump back: chunks (each checked against the manifest before use) → the manifest's stages
 * undone → a sink, while the plaintext is counted and hashed. The last {@link #HOLD_BACK_BYTES} are held back
 * until the whole stream has been read, its integrity checks have passed and its size and SHA-256 equal the
 * manifest's: a {@code pg_restore} on the sink cannot reach the end of the dump, and so cannot commit, before
 * the dump is known to be exactly what was backed up.
 */
final class DumpReader {
    static final int HOLD_BACK_BYTES = 256 << 10;
    private static final int COPY_BUFFER_BYTES = 128 << 10;
    private static final Pattern MAJOR = Pattern.compile("^(\\d+)");

    /** The sink refused bytes: the program reading them ended. */
    static final class SinkClosedException extends IOException {
        SinkClosedException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private DumpReader() {
    }

    /** The programs of the major version the dump was taken from, from {@code source.serverVersion}. */
    static PostgresPrograms programs(BackupManifest manifest) {
        Matcher m = MAJOR.matcher(manifest.source().serverVersion().strip());
        if (!m.find()) {
            throw new LifeboatException("manifest of backup " + manifest.id() + " names server version '"
                    + manifest.source().serverVersion() + "', which has no major version");
        }
        return PostgresPrograms.forMajor(Integer.parseInt(m.group(1)));
    }

    /**
     * Before anything is downloaded or written: the key given is one the manifest records the backup as encrypted
     * to. The message names those recipients, since they are the keys that can open it.
     */
    static void requireRecipient(BackupId id, BackupManifest manifest, PGPSecretKeyRing key) {
        if (!manifest.stages().contains("openpgp")) {
            return;
        }
        String given = OpenPgp.fingerprint(key.getPublicKey());
        if (manifest.recipients().stream().anyMatch(given::equalsIgnoreCase)) {
            return;
        }
        boolean one = manifest.recipients().size() == 1;
        throw new LifeboatException("backup " + id + " is encrypted to " + (one ? "key " : "keys ")
                + String.join(", ", manifest.recipients()) + " (the manifest's recipients), not to key " + given,
                "give the secret key of " + (one ? "that key" : "one of them") + " with --key FILE"
                        + " (gpg --export-secret-keys --armor FINGERPRINT > FILE)", null);
    }

    /**
     * Copies the plaintext dump to {@code sink} and returns its size.
     *
     * @param sinkMayEndEarly a sink that stops reading (as {@code pg_restore --list} does) is fine: the rest is
     *                        still read and checked; otherwise {@link SinkClosedException} is thrown
     * @param storedRead      told the stored bytes read so far, as they are read
     * @throws LifeboatException when a chunk is missing or corrupt, a stage cannot be undone, or the plaintext
     *                           differs from the manifest
     */
    static long copy(StorageTarget target, BackupId id, BackupManifest manifest, PGPSecretKeyRing key,
            char[] passphrase, Path spoolDirectory, OutputStream sink, boolean sinkMayEndEarly,
            LongConsumer storedRead) throws IOException {
        requireRecipient(id, manifest, key);
        PrivateFiles.createDirectories(spoolDirectory);
        MessageDigest digest = Sha256.digest();
        long plaintext = 0;
        HoldBack held = new HoldBack(sink, sinkMayEndEarly);
        try (ChunkedInput chunks = new ChunkedInput(target, manifest.chunks(), spoolDirectory);
             InputStream stored = new Counting(chunks, storedRead);
             InputStream dump = Pipeline.unwrap(manifest.stages(),
                     List.of(new OpenPgpDecryption(key, passphrase), new ZstdDecoding()), stored)) {
            byte[] buffer = new byte[COPY_BUFFER_BYTES];
            int n;
            while ((n = dump.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                plaintext += n;
                held.write(buffer, n);
            }
        }
        if (plaintext != manifest.plaintextSize()) {
            throw new LifeboatException("dump of backup " + id + " on " + target.name() + " is " + plaintext
                    + " bytes, the manifest says " + manifest.plaintextSize());
        }
        if (!Sha256.hex(digest).equals(manifest.plaintextSha256())) {
            throw new LifeboatException("dump of backup " + id + " on " + target.name()
                    + " does not match the manifest's sha256");
        }
        held.release();
        return plaintext;
    }

    /**
     * The backup's globals script ({@code pg_dumpall --globals-only}), its object checked against the manifest
     * before use and its plaintext after: small, so it is read whole.
     *
     * @throws LifeboatException when the backup has none, or the object is missing, corrupt or cannot be decrypted
     */
    static byte[] globals(StorageTarget target, BackupId id, BackupManifest manifest, PGPSecretKeyRing key,
            char[] passphrase, Path spoolDirectory) throws IOException {
        BackupManifest.Globals globals = manifest.roles().orElseThrow(() -> new LifeboatException("backup " + id
                + " holds no roles"));
        requireRecipient(id, manifest, key);
        PrivateFiles.createDirectories(spoolDirectory);
        byte[] sql;
        try (ChunkedInput stored = new ChunkedInput(target, List.of(globals.object()), spoolDirectory);
             InputStream plain = Pipeline.unwrap(manifest.stages(),
                     List.of(new OpenPgpDecryption(key, passphrase), new ZstdDecoding()), stored)) {
            sql = plain.readAllBytes();
        }
        MessageDigest digest = Sha256.digest();
        digest.update(sql);
        if (sql.length != globals.plaintextSize() || !Sha256.hex(digest).equals(globals.plaintextSha256())) {
            throw new LifeboatException("the roles of backup " + id + " on " + target.name()
                    + " do not match the manifest's size and sha256");
        }
        return sql;
    }

    /** Passes bytes on, always keeping the newest {@link #HOLD_BACK_BYTES} back until {@link #release()}. */
    private static final class HoldBack {
        private final OutputStream sink;
        private final boolean sinkMayEndEarly;
        private byte[] held = new byte[HOLD_BACK_BYTES + COPY_BUFFER_BYTES];
        private int size;
        private boolean sinkEnded;

        HoldBack(OutputStream sink, boolean sinkMayEndEarly) {
            this.sink = sink;
            this.sinkMayEndEarly = sinkMayEndEarly;
        }

        void write(byte[] bytes, int length) throws IOException {
            if (size + length > held.length) {
                held = Arrays.copyOf(held, size + length);
            }
            System.arraycopy(bytes, 0, held, size, length);
            size += length;
            int excess = size - HOLD_BACK_BYTES;
            if (excess > 0) {
                pass(held, excess);
                System.arraycopy(held, excess, held, 0, HOLD_BACK_BYTES);
                size = HOLD_BACK_BYTES;
            }
        }

        void release() throws IOException {
            pass(held, size);
            size = 0;
            if (!sinkEnded) {
                try {
                    sink.flush();
                } catch (IOException e) {
                    ended(e);
                }
            }
        }

        private void pass(byte[] bytes, int length) throws IOException {
            if (sinkEnded) {
                return;
            }
            try {
                sink.write(bytes, 0, length);
            } catch (IOException e) {
                ended(e);
            }
        }

        private void ended(IOException e) throws SinkClosedException {
            if (!sinkMayEndEarly) {
                throw new SinkClosedException(e);
            }
            sinkEnded = true;
        }
    }

    /** Reports the bytes read so far. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer report;
        private long count;

        Counting(InputStream in, LongConsumer report) {
            super(in);
            this.report = report;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                report.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
                report.accept(count);
            }
            return n;
        }

        @Override
        public void close() {
            // The chunked input under it is closed by its owner.
        }
    }
}
