package io.lifeboat.replicator.sequence;

/**
 * The value a sequence's next {@code nextval} hands out, or none when a sequence without {@code CYCLE} has reached
 * its bound (its {@code nextval} then fails).
 */
public final class NextValue {
    private static final NextValue EXHAUSTED = new NextValue(0, true);

    private final long value;
    private final boolean exhausted;

    private NextValue(long value, boolean exhausted) {
        this.value = value;
        this.exhausted = exhausted;
    }

    public static NextValue of(long value) {
        return new NextValue(value, false);
    }

    public static NextValue exhausted() {
        return EXHAUSTED;
    }

    public boolean isExhausted() {
        return exhausted;
    }

    /** @throws IllegalStateException when exhausted */
    public long value() {
        if (exhausted) {
            throw new IllegalStateException("sequence is exhausted");
        }
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NextValue next && next.exhausted == exhausted && next.value == value;
    }

    @Override
    public int hashCode() {
        return exhausted ? -1 : Long.hashCode(value);
    }

    @Override
    public String toString() {
        return exhausted ? "none (bound reached)" : Long.toString(value);
    }
}
