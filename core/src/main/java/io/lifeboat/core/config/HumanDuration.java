package io.lifeboat.core.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in config: {@code 500ms}, {@code 30s}, {@code 15m}, {@code 1h30m}, {@code 7d}. */
public final class HumanDuration {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d|w))+");

    private HumanDuration() {
    }

    /** @throws IllegalArgumentException with a message fit to show after the key name */
    public static Duration parse(String text) {
        String compact = text.strip().replace(" ", "");
        if (compact.equals("0")) {
            return Duration.ZERO; // nothing in any unit; its key's range check then says what is allowed
        }
        if (!WHOLE.matcher(compact).matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a duration (write it like 30s, 15m, 1h30m or 7d; units ms, s, m, h, d, w)");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(compact);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                case "w" -> Duration.ofDays(7 * n);
                default -> throw new IllegalStateException(m.group(2));
            });
        }
        return total;
    }

    /** The inverse of {@link #parse}: the largest units first, e.g. {@code 1h30m}. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long ms = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms >= sizes[i]) {
                out.append(ms / sizes[i]).append(units[i]);
                ms %= sizes[i];
            }
        }
        return out.toString();
    }
}
