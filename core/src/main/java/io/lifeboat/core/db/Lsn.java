package io.lifeboat.core.db;

/** A PostgreSQL WAL position ({@code pg_lsn}), written {@code 16/B374D848}; compares as an unsigned 64-bit number. */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);

    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN (write it like 16/B374D848)");
        }
        try {
            long high = Long.parseLong(text.substring(0, slash), 16);
            long low = Long.parseLong(text.substring(slash + 1), 16);
            if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL || high < 0 || low < 0) {
                throw new NumberFormatException();
            }
            return new Lsn((high << 32) | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN (write it like 16/B374D848)");
        }
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    /** Bytes of WAL from {@code earlier} to this position. */
    public long bytesSince(Lsn earlier) {
        return value - earlier.value;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
