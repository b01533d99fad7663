package io.lifeboat.archiver;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** A backup's id: the UTC second it started, {@code 20261122T020000Z}; also the key prefix of its objects. */
public record BackupId(Instant startedAt) implements Comparable<BackupId> {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    public BackupId {
        startedAt = startedAt.truncatedTo(ChronoUnit.SECONDS);
    }

    public static Optional<BackupId> parse(String text) {
        try {
            return Optional.of(new BackupId(FORMAT.parse(text, Instant::from)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    public String manifestKey() {
        return this + "/manifest.json";
    }

    public String signatureKey() {
        return this + "/manifest.json.sig";
    }

    /** The cluster's roles and memberships ({@code pg_dumpall --globals-only}), through the dump's stages. */
    public String globalsKey() {
        return this + "/globals";
    }

    /** Where the outcome of the last verification is recorded, written after the manifest. */
    public String verificationKey() {
        return this + "/verification.json";
    }

    @Override
    public int compareTo(BackupId other) {
        return startedAt.compareTo(other.startedAt);
    }

    @Override
    public String toString() {
        return FORMAT.format(startedAt);
    }
}
