package io.lifeboat.snapshotter.cycle;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A snapshot's name: the UTC second it was taken, {@code lifeboat-2026-11-22_02-00-00Z}; while it is being taken
 * the name carries {@code _incomplete}, so a crash leaves something no reader mistakes for a snapshot.
 */
public record SnapshotName(Instant takenAt) implements Comparable<SnapshotName> {
    public static final String PREFIX = "lifeboat-";
    public static final String INCOMPLETE_SUFFIX = "_incomplete";
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd_HH-mm-ss'Z'").withZone(ZoneOffset.UTC);

    public SnapshotName {
        takenAt = takenAt.truncatedTo(ChronoUnit.SECONDS);
    }

    public String complete() {
        return PREFIX + FORMAT.format(takenAt);
    }

    public String incomplete() {
        return complete() + INCOMPLETE_SUFFIX;
    }

    /** The name a directory entry stands for, complete or not; empty for anything that is not Lifeboat's. */
    public static Optional<SnapshotName> parse(String entry) {
        String text = entry.endsWith(INCOMPLETE_SUFFIX)
                ? entry.substring(0, entry.length() - INCOMPLETE_SUFFIX.length()) : entry;
        if (!text.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SnapshotName(FORMAT.parse(text.substring(PREFIX.length()), Instant::from)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    public static boolean isIncomplete(String entry) {
        return entry.endsWith(INCOMPLETE_SUFFIX);
    }

    @Override
    public int compareTo(SnapshotName other) {
        return takenAt.compareTo(other.takenAt);
    }

    @Override
    public String toString() {
        return complete();
    }
}
