package io.lifeboat.cli.demo;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/** Tells the demo's story: one plain line before each step, and how long each step and the whole demo took. */
public final class Narrator {
    private final PrintWriter out;
    private final BooleanSupplier silenced;
    private final long start = System.nanoTime();
    private long stepStart;
    private String step;
    private int number;

    /** Tells on {@code out} until {@code silenced} says the story was interrupted. */
    public Narrator(PrintWriter out, BooleanSupplier silenced) {
        this.out = out;
        this.silenced = silenced;
    }

    /** Ends the previous step (printing its duration) and announces the next one. */
    public void step(String line) {
        if (silenced.getAsBoolean()) {
            return;
        }
        finishStep();
        number++;
        step = line;
        stepStart = System.nanoTime();
        out.println();
        out.println("== " + number + ". " + line);
        out.flush();
    }

    /** A plain line within the current step. */
    public void say(String line) {
        if (silenced.getAsBoolean()) {
            return;
        }
        out.println("   " + line);
        out.flush();
    }

    /** Output of a real lifeboat command, as it printed it. */
    public void show(String text) {
        if (silenced.getAsBoolean()) {
            return;
        }
        text.lines().forEach(line -> out.println("   | " + line));
        out.flush();
    }

    /** Ends the last step and prints the total. */
    public void finish(String outcome) {
        if (silenced.getAsBoolean()) {
            return;
        }
        finishStep();
        out.println();
        out.println("demo: " + outcome + " (total " + seconds(System.nanoTime() - start) + ")");
        out.flush();
    }

    private void finishStep() {
        if (step != null) {
            out.println("   (" + seconds(System.nanoTime() - stepStart) + ")");
            step = null;
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
