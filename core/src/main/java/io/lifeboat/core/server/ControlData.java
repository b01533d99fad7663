package io.lifeboat.core.server;

import io.lifeboat.core.db.Lsn;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code pg_controldata} says about a data directory, read with {@code LC_ALL=C} and {@code TZ=UTC} so the
 * labels and the checkpoint time have one known form.
 *
 * @param state the cluster state as PostgreSQL words it: {@code shut down}, {@code in production}, …
 * @param checkpointTime the time of the latest checkpoint, when it could be read
 * @param dataChecksumVersion 0 when data checksums are off
 * @param settings the settings the server last ran with that a server replaying its WAL must match or exceed
 *        ({@code wal_level}, {@code max_connections}, {@code max_prepared_transactions}, …), by setting name
 */
public record ControlData(String state, String systemIdentifier, int timeline, Lsn checkpointLsn, Lsn redoLsn,
        Optional<Instant> checkpointTime, int dataChecksumVersion, Map<String, String> settings) {

    private static final DateTimeFormatter C_LOCALE_TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy", Locale.ROOT);

    /** Shut down cleanly: it starts without crash recovery and holds nothing unreplayed. */
    public boolean cleanlyShutDown() {
        return state.equals("shut down") || state.equals("shut down in recovery");
    }

    /**
     * Left by a running or crashed server: it starts with crash recovery, replaying its own WAL from the last
     * checkpoint (what a master that lost power looks like).
     */
    public boolean needsCrashRecovery() {
        return state.equals("in production") || state.equals("in crash recovery") || state.equals("shutting down");
    }

    public boolean checksumsEnabled() {
        return dataChecksumVersion > 0;
    }

    /** Parses the output of {@code pg_controldata} run in the C locale and UTC. */
    public static ControlData parse(String output) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        String state = required(fields, "Database cluster state");
        return new ControlData(state, required(fields, "Database system identifier"),
                Integer.parseInt(required(fields, "Latest checkpoint's TimeLineID")),
                Lsn.parse(required(fields, "Latest checkpoint location")),
                Lsn.parse(required(fields, "Latest checkpoint's REDO location")),
                time(fields.get("Time of latest checkpoint")),
                Integer.parseInt(fields.getOrDefault("Data page checksum version", "0")), settings(fields));
    }

    /** pg_controldata's "X setting" lines, under the names postgresql.conf uses. */
    private static Map<String, String> settings(Map<String, String> fields) {
        Map<String, String> settings = new LinkedHashMap<>();
        fields.forEach((label, value) -> {
            if (label.endsWith(" setting")) {
                String name = label.substring(0, label.length() - " setting".length()).strip();
                settings.put(switch (name) {
                    case "max_prepared_xacts" -> "max_prepared_transactions";
                    case "max_locks_per_xact" -> "max_locks_per_transaction";
                    default -> name;
                }, value);
            }
        });
        return Map.copyOf(settings);
    }

    private static String required(Map<String, String> fields, String label) {
        String value = fields.get(label);
        if (value == null) {
            throw new IllegalArgumentException("pg_controldata printed no '" + label + "'");
        }
        return value;
    }

    private static Optional<Instant> time(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            // The weekday is dropped: it adds nothing and would only be one more thing to disagree on.
            String withoutWeekday = text.strip().replaceAll("\\s+", " ").replaceFirst("^[A-Za-z]+ ", "");
            return Optional.of(LocalDateTime.parse(withoutWeekday.replaceFirst(" (\\d) ", "  $1 "), C_LOCALE_TIME)
                    .toInstant(ZoneOffset.UTC));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
