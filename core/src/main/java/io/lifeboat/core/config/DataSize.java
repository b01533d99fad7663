package io.lifeboat.core.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An amount of bytes, written in config as {@code 512MiB}, {@code 4GiB} or {@code 5GB}. */
public record DataSize(long bytes) implements Comparable<DataSize> {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]i?B|B)?");
    private static final String[] BINARY_UNITS = {"TiB", "GiB", "MiB", "KiB"};

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofMebibytes(long mebibytes) {
        return new DataSize(Math.multiplyExact(mebibytes, 1L << 20));
    }

    public static DataSize ofGibibytes(long gibibytes) {
        return new DataSize(Math.multiplyExact(gibibytes, 1L << 30));
    }

    /**
     * Parses {@code 4GiB}, {@code 512 MiB}, {@code 5GB} (powers of 1000) or a plain byte count.
     *
     * @throws IllegalArgumentException with a message fit to show after the key name
     */
    public static DataSize parse(String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (write it like 512MiB, 4GiB or 5GB)");
        }
        String unit = m.group(2) == null ? "B" : m.group(2);
        double value = Double.parseDouble(m.group(1));
        double bytes = value * multiplier(unit);
        if (bytes > Long.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        if (bytes != Math.rint(bytes)) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        return new DataSize((long) bytes);
    }

    private static long multiplier(String unit) {
        return switch (unit) {
            case "B" -> 1L;
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            case "TiB" -> 1L << 40;
            default -> throw new IllegalStateException(unit);
        };
    }

    /** The shortest exact binary form ({@code 4GiB}), or a decimal one ({@code 1.5 GiB}) rounded for people. */
    @Override
    public String toString() {
        for (String unit : BINARY_UNITS) {
            long m = multiplier(unit);
            if (bytes >= m && bytes % m == 0) {
                return bytes / m + unit;
            }
        }
        return bytes + "B";
    }

    /** A rounded form for messages and tables, e.g. {@code 1.5 GiB}. */
    public String approximate() {
        for (String unit : BINARY_UNITS) {
            long m = multiplier(unit);
            if (bytes >= m) {
                return String.format(Locale.ROOT, "%.1f %s", (double) bytes / m, unit);
            }
        }
        return bytes + " B";
    }

    @Override
    public int compareTo(DataSize other) {
        return Long.compare(bytes, other.bytes);
    }
}
