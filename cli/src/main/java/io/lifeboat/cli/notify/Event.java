package io.lifeboat.cli.notify;

import java.time.Instant;
import java.util.Optional;

/**
 * What is sent: an alert that started ({@code firing}), is still true ({@code reminder}) or cleared
 * ({@code resolved}), or the nightly {@code report}.
 *
 * @param startedAt when the condition started
 * @param endedAt when it cleared (resolved only)
 */
public record Event(String kind, Alert alert, Instant startedAt, Optional<Instant> endedAt, Instant at) {
    public static final String FIRING = "firing";
    public static final String REMINDER = "reminder";
    public static final String RESOLVED = "resolved";
    public static final String REPORT = "report";

    /** The severity as the notify command's LIFEBOAT_SEVERITY says it; {@code info} for resolved and reports. */
    public String severity() {
        return kind.equals(RESOLVED) || kind.equals(REPORT) ? "info" : alert.severity();
    }
}
