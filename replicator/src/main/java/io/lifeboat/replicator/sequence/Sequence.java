package io.lifeboat.replicator.sequence;

import java.math.BigInteger;

/**
 * One sequence as it stands: its definition (from {@code pg_sequence}) and its state, read from the sequence
 * relation itself ({@code last_value}, {@code is_called}), because {@code pg_sequences.last_value} is NULL after
 * {@code setval(seq, v, false)} although the sequence then hands out exactly {@code v}.
 *
 * <p>Everything here compares the value each sequence hands out next, not {@code last_value}: that is the one
 * number that decides whether a promoted standby could repeat one the master already gave. The relation's
 * {@code last_value} already covers values that sessions hold in their {@code CACHE n}, since nextval reserves the
 * whole cached block in the relation.
 *
 * @param name      schema-qualified and quoted as needed ({@code "My Schema"."Odd Seq"}); usable as a regclass
 * @param type      smallint, integer or bigint
 */
public record Sequence(String name, String type, long start, long increment, long min, long max, boolean cycle,
                       long lastValue, boolean isCalled) {

    public boolean ascending() {
        return increment > 0;
    }

    /** The value the next nextval returns, following PostgreSQL's own rule (a cycle wraps to min or max). */
    public NextValue next() {
        if (!isCalled) {
            return NextValue.of(lastValue);
        }
        long candidate;
        try {
            candidate = Math.addExact(lastValue, increment);
        } catch (ArithmeticException overflow) {
            return wrapped();
        }
        if (candidate > max || candidate < min) {
            return wrapped();
        }
        return NextValue.of(candidate);
    }

    private NextValue wrapped() {
        if (!cycle) {
            return NextValue.exhausted();
        }
        return NextValue.of(ascending() ? min : max);
    }

    /**
     * Whether moving this sequence from handing out {@code from} next to handing out {@code to} next is a move
     * forward, the only kind Lifeboat makes.
     *
     * <p>Without CYCLE the order is plain: up for a positive increment, down for a negative one, and an exhausted
     * sequence is beyond every value.
     *
     * <p>A CYCLE sequence hands its values out again after each wrap, so once it has wrapped no value in its range
     * is unused, and which lap a side is on is recorded nowhere: "beyond" cannot be read from the values. What
     * keeps a promoted standby right is to go on exactly where the master would, reusing values in the master's
     * order, oldest first. Going forward round a cycle reaches every position, so any other position moves forward
     * to the master's: for a CYCLE sequence every change is forward, and the standby takes the master's position
     * whenever the two differ. (A rule such as "ahead by less than half a cycle", serial number arithmetic, would
     * leave a fresh standby behind whenever the master had used more than half its range, and after any pause of
     * the sync, and the promoted standby would then hand out the values the master handed out last.)
     */
    public boolean movesForward(NextValue from, NextValue to) {
        if (from.equals(to)) {
            return false;
        }
        if (cycle) {
            return true;
        }
        if (from.isExhausted() || to.isExhausted()) {
            return to.isExhausted();
        }
        return ascending() ? to.value() > from.value() : to.value() < from.value();
    }

    /** How many distinct values lie between min and max. */
    BigInteger cycleSize() {
        return BigInteger.valueOf(max).subtract(BigInteger.valueOf(min)).add(BigInteger.ONE);
    }

    /** This sequence with the state whose next nextval hands out {@code next}. */
    public Sequence handingOut(NextValue next) {
        if (next.isExhausted()) {
            // At the bound and called: nextval fails "reached maximum/minimum value", as on the master.
            return withState(ascending() ? max : min, true);
        }
        long value = next.value();
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " is outside " + min + ".." + max);
        }
        // Prefer "called at the value before" so pg_sequences shows a last_value; fall back to not called
        // where the value before would leave the bounds (the first value, or the first after a wrap).
        long before;
        try {
            before = Math.subtractExact(value, increment);
        } catch (ArithmeticException overflow) {
            return withState(value, false);
        }
        return before >= min && before <= max ? withState(before, true) : withState(value, false);
    }

    Sequence withState(long last, boolean called) {
        return new Sequence(name, type, start, increment, min, max, cycle, last, called);
    }

    /** The differences that change which numbers it hands out, or an empty string when there are none. */
    String differencesFrom(Sequence other) {
        StringBuilder text = new StringBuilder();
        difference(text, "type", type, other.type);
        difference(text, "increment", increment, other.increment);
        difference(text, "minvalue", min, other.min);
        difference(text, "maxvalue", max, other.max);
        difference(text, "cycle", cycle ? "cycle" : "no cycle", other.cycle ? "cycle" : "no cycle");
        return text.toString();
    }

    private static void difference(StringBuilder text, String what, Object mine, Object theirs) {
        if (!mine.equals(theirs)) {
            text.append(text.isEmpty() ? "" : ", ").append(what).append(' ').append(mine).append(" on master, ")
                    .append(theirs).append(" on standby");
        }
    }

    /**
     * The statement that gives {@code standby} this sequence's definition. It restarts it (at the start value, until
     * the next sync moves it on) only where its current value lies outside the new bounds, as ALTER then requires.
     */
    String alterToMatch(Sequence standby) {
        boolean outside = standby.lastValue < min || standby.lastValue > max;
        return "ALTER SEQUENCE " + name + " AS " + type + " INCREMENT BY " + increment + " MINVALUE " + min
                + " MAXVALUE " + max + " START WITH " + start + (outside ? " RESTART" : "")
                + (cycle ? " CYCLE" : " NO CYCLE");
    }
}
