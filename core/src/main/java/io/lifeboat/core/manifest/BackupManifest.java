package io.lifeboat.core.manifest;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.lifeboat.core.LifeboatVersion;
import java.time.Instant;
import java.util.Optional;
import java.util.List;
import java.util.Objects;

/**
 * Everything a restore needs to know about one backup, written last on each target after all its chunks.
 * {@code stages} lists the stream stages in data order (e.g. {@code ["zstd", "openpgp"]}); restore undoes them
 * in reverse and never looks at file extensions. {@code compressionLevel} is null when there is no zstd stage.
 *
 * @param masterLsn       the master position the dump represents, in PostgreSQL's {@code 0/16B3748} form
 * @param masterTime      the master's clock at that position: its last heartbeat the standby had applied, read in the
 *                        dump's snapshot (the standby may trail the master, so this can be well before
 *                        {@code startedAt}); null before format 4, and when the standby holds no heartbeat
 * @param schemaFingerprint the dumped database's {@code SchemaFingerprint} ({@code sha256:…}), read in the dump's
 *                        snapshot; null only in format 1 manifests, written before it was recorded
 * @param dumpFormat      {@code custom} or {@code directory}
 * @param recipients      fingerprints of the keys the backup is encrypted to
 * @param plaintextSize   bytes of the dump before compression and encryption
 * @param plaintextSha256 SHA-256 (lower-case hex) of those bytes
 * @param globals         the cluster's roles and memberships ({@code pg_dumpall --globals-only}), which a dump of
 *                        one database lacks; null in manifests before format 3, and when they could not be captured
 */
@JsonPropertyOrder({"formatVersion", "id", "startedAt", "finishedAt", "source", "masterLsn", "masterTime",
        "schemaFingerprint",
        "dumpFormat", "stages",
        "compressionLevel", "recipients", "chunks", "plaintextSize", "plaintextSha256", "globals", "lifeboatVersion"})
public record BackupManifest(
        int formatVersion,
        String id,
        Instant startedAt,
        Instant finishedAt,
        Source source,
        String masterLsn,
        Instant masterTime,
        String schemaFingerprint,
        String dumpFormat,
        List<String> stages,
        Integer compressionLevel,
        List<String> recipients,
        List<ChunkEntry> chunks,
        long plaintextSize,
        String plaintextSha256,
        Globals globals,
        String lifeboatVersion) {

    /** The version this build writes and the newest it reads. 2: schemaFingerprint. 3: globals. 4: masterTime. */
    public static final int FORMAT_VERSION = 4;

    public BackupManifest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(finishedAt, "finishedAt");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(masterLsn, "masterLsn");
        if (formatVersion >= 2) {
            Objects.requireNonNull(schemaFingerprint, "schemaFingerprint");
        }
        Objects.requireNonNull(dumpFormat, "dumpFormat");
        Objects.requireNonNull(plaintextSha256, "plaintextSha256");
        Objects.requireNonNull(lifeboatVersion, "lifeboatVersion");
        stages = List.copyOf(Objects.requireNonNull(stages, "stages"));
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        chunks = List.copyOf(Objects.requireNonNull(chunks, "chunks"));
        if (!dumpFormat.equals("custom") && !dumpFormat.equals("directory")) {
            throw new IllegalArgumentException("dumpFormat '" + dumpFormat + "' is neither custom nor directory");
        }
        if (stages.contains("zstd") != (compressionLevel != null)) {
            throw new IllegalArgumentException("compressionLevel must be given exactly when stages include zstd");
        }
        if (stages.contains("openpgp") == recipients.isEmpty()) {
            throw new IllegalArgumentException("recipients must be given exactly when stages include openpgp");
        }
    }

    /** A manifest in the current format, written by this build. */
    public static BackupManifest of(String id, Instant startedAt, Instant finishedAt, Source source, String masterLsn,
            String schemaFingerprint, String dumpFormat, List<String> stages, Integer compressionLevel,
            List<String> recipients, List<ChunkEntry> chunks, long plaintextSize, String plaintextSha256) {
        return of(id, startedAt, finishedAt, source, masterLsn, null, schemaFingerprint, dumpFormat, stages,
                compressionLevel, recipients, chunks, plaintextSize, plaintextSha256, null);
    }

    /**
     * A manifest in the current format, with the master's clock at its position (or null: unknown) and the cluster's
     * globals stored beside the chunks (or null: none).
     */
    public static BackupManifest of(String id, Instant startedAt, Instant finishedAt, Source source, String masterLsn,
            Instant masterTime, String schemaFingerprint, String dumpFormat, List<String> stages,
            Integer compressionLevel, List<String> recipients, List<ChunkEntry> chunks, long plaintextSize,
            String plaintextSha256, Globals globals) {
        return new BackupManifest(FORMAT_VERSION, id, startedAt, finishedAt, source, masterLsn, masterTime,
                schemaFingerprint,
                dumpFormat, stages, compressionLevel, recipients, chunks, plaintextSize, plaintextSha256, globals,
                LifeboatVersion.current());
    }

    /**
     * When the master was at this backup's position: {@code masterTime}, or for a manifest without one the backup's
     * start (later than the truth by the standby's lag then, so a data loss measured from it is a lower bound).
     */
    public Instant recoveryPointTime() {
        return masterTime != null ? masterTime : startedAt;
    }

    /** Absent in manifests written before format 2. */
    public Optional<String> schema() {
        return Optional.ofNullable(schemaFingerprint);
    }

    /** Absent in manifests written before format 3, and when the globals could not be captured. */
    public Optional<Globals> roles() {
        return Optional.ofNullable(globals);
    }

    /** Every object the manifest lists: the chunks, then the globals object when there is one. */
    public List<ChunkEntry> storedObjects() {
        if (globals == null) {
            return chunks;
        }
        List<ChunkEntry> all = new java.util.ArrayList<>(chunks);
        all.add(globals.object());
        return List.copyOf(all);
    }

    /** Bytes stored on the target: the sum of the chunk sizes and the globals object. */
    public long storedSize() {
        return storedObjects().stream().mapToLong(ChunkEntry::size).sum();
    }

    /**
     * The output of {@code pg_dumpall --globals-only} (roles, their settings and memberships), put through the same
     * stages as the dump into one object. {@code capturedFrom} is {@code master} or {@code standby} (the master when
     * it answered); {@code rolePasswords} is false when the capturing user could not read them
     * ({@code --no-role-passwords}).
     */
    @JsonPropertyOrder({"object", "plaintextSize", "plaintextSha256", "capturedFrom", "rolePasswords"})
    public record Globals(ChunkEntry object, long plaintextSize, String plaintextSha256, String capturedFrom,
            boolean rolePasswords) {
        public Globals {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(plaintextSha256, "plaintextSha256");
            Objects.requireNonNull(capturedFrom, "capturedFrom");
            if (!capturedFrom.equals("master") && !capturedFrom.equals("standby")) {
                throw new IllegalArgumentException("capturedFrom '" + capturedFrom + "' is neither master nor standby");
            }
        }
    }

    /** The database the dump was taken from. {@code systemIdentifier} is text: it is an unsigned 64-bit number. */
    @JsonPropertyOrder({"systemIdentifier", "database", "serverVersion"})
    public record Source(String systemIdentifier, String database, String serverVersion) {
        public Source {
            Objects.requireNonNull(systemIdentifier, "systemIdentifier");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(serverVersion, "serverVersion");
        }
    }
}
