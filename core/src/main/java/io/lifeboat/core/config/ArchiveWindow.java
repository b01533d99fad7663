package io.lifeboat.core.config;

import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code archive.window}: the hours of the night, in the local time of {@code service.timezone}, in which the
 * service starts the nightly archive, e.g. {@code 01:00-05:00}. A window may run past midnight ({@code 22:00-04:00}).
 */
public record ArchiveWindow(LocalTime start, LocalTime end) {
    public static final ArchiveWindow DEFAULT = new ArchiveWindow(LocalTime.of(1, 0), LocalTime.of(5, 0));
    private static final Pattern FORM = Pattern.compile("(\\d{1,2}:\\d{2})\\s*-\\s*(\\d{1,2}:\\d{2})");
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("H:mm");

    /** @throws IllegalArgumentException with a message fit to show after the config key */
    public static ArchiveWindow parse(String text) {
        Matcher form = FORM.matcher(text.strip());
        if (!form.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a window (write it like 01:00-05:00, in the"
                    + " local time of service.timezone)");
        }
        ArchiveWindow window = new ArchiveWindow(time(text, form.group(1)), time(text, form.group(2)));
        if (window.start.equals(window.end)) {
            throw new IllegalArgumentException("'" + text + "' is empty: it starts where it ends");
        }
        return window;
    }

    private static LocalTime time(String text, String part) {
        try {
            return LocalTime.parse(part, CLOCK);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "': " + part + " is not a time of day (00:00 to 23:59)");
        }
    }

    /** The start of the occurrence {@code now} falls in, if it falls in one. */
    public Optional<ZonedDateTime> currentStart(ZonedDateTime now) {
        ZonedDateTime today = at(now, start, 0);
        if (!start.isAfter(end)) {
            return !now.isBefore(today) && now.isBefore(at(now, end, 0)) ? Optional.of(today) : Optional.empty();
        }
        // Past midnight: the occurrence that began yesterday evening, or the one that began this evening.
        if (now.toLocalTime().isBefore(end)) {
            return Optional.of(at(now, start, -1));
        }
        return !now.isBefore(today) ? Optional.of(today) : Optional.empty();
    }

    /** The first start strictly after {@code now}. */
    public ZonedDateTime nextStart(ZonedDateTime now) {
        ZonedDateTime today = at(now, start, 0);
        return today.isAfter(now) ? today : at(now, start, 1);
    }

    private static ZonedDateTime at(ZonedDateTime day, LocalTime time, int plusDays) {
        // Through the local date and time: a start in a DST gap moves forward, as the wall clock does.
        return ZonedDateTime.of(day.toLocalDate().plusDays(plusDays), time, day.getZone());
    }

    @Override
    public String toString() {
        return start + "-" + end;
    }
}
