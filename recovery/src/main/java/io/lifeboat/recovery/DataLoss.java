package io.lifeboat.recovery;

import io.lifeboat.core.config.DataSize;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * What a candidate lacks against the newest master position Lifeboat knows: bytes of master WAL and seconds of the
 * master's clock. {@link #NONE} for a source that holds everything the master wrote (its own data directory).
 */
public record DataLoss(Optional<Long> bytes, Optional<Duration> time) {
    public static final DataLoss NONE = new DataLoss(Optional.of(0L), Optional.of(Duration.ZERO));
    public static final DataLoss UNKNOWN = new DataLoss(Optional.empty(), Optional.empty());

    /** How far {@code candidate} is behind {@code reference}; never negative. */
    public static DataLoss between(Position candidate, Position reference) {
        Optional<Long> bytes = candidate.lsn().flatMap(c -> reference.lsn().map(r -> Math.max(0, r.bytesSince(c))));
        Optional<Duration> time = candidate.time().flatMap(c -> reference.time().map(r -> {
            Duration behind = Duration.between(c, r);
            return behind.isNegative() ? Duration.ZERO : behind;
        }));
        return new DataLoss(bytes, time);
    }

    public boolean known() {
        return time.isPresent();
    }

    public boolean none() {
        return bytes.map(b -> b == 0).orElse(false) && time.map(Duration::isZero).orElse(false);
    }

    /** Whether it is more than {@code limit}; an unknown loss cannot be shown to be within any limit. */
    public boolean exceeds(Duration limit) {
        return time.map(t -> t.compareTo(limit) > 0).orElse(true);
    }

    /** {@code 2.1 s, 14.2 KiB of WAL}, {@code none}, {@code unknown}. */
    @Override
    public String toString() {
        if (none()) {
            return "none";
        }
        if (time.isEmpty() && bytes.isEmpty()) {
            return "unknown";
        }
        String t = time.map(DataLoss::seconds).orElse("unknown time");
        String b = bytes.map(n -> DataSize.ofBytes(n).approximate() + " of WAL").orElse("unknown WAL");
        return t + ", " + b;
    }

    static String seconds(Duration duration) {
        double s = duration.toMillis() / 1000.0;
        if (s < 120) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long total = duration.toSeconds();
        return total >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", total / 3600, total % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", total / 60, total % 60);
    }
}
