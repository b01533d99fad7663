package io.lifeboat.recovery;

import io.lifeboat.core.db.Lsn;
import java.time.Instant;
import java.util.Optional;

/**
 * A point in the master's history: its WAL position and the master's clock there, as far as each is known.
 * Every source is placed on this one axis, so data loss is a difference, not a guess.
 */
public record Position(Optional<Lsn> lsn, Optional<Instant> time) {
    public static final Position UNKNOWN = new Position(Optional.empty(), Optional.empty());

    public static Position of(Lsn lsn, Instant time) {
        return new Position(Optional.ofNullable(lsn), Optional.ofNullable(time));
    }

    /** The later of the two on each axis. */
    public Position newest(Position other) {
        Optional<Lsn> l = lsn.isEmpty() ? other.lsn
                : other.lsn.isEmpty() ? lsn : Optional.of(lsn.get().compareTo(other.lsn.get()) >= 0 ? lsn.get() : other.lsn.get());
        Optional<Instant> t = time.isEmpty() ? other.time
                : other.time.isEmpty() ? time : Optional.of(time.get().isAfter(other.time.get()) ? time.get() : other.time.get());
        return new Position(l, t);
    }

    @Override
    public String toString() {
        return lsn.map(Lsn::toString).orElse("unknown LSN") + " at " + time.map(Instant::toString).orElse("unknown time");
    }
}
