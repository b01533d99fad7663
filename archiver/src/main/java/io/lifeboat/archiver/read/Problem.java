package io.lifeboat.archiver.read;

import java.util.Objects;

/** One thing found wrong with a backup: its kind, and one line naming the object and what is wrong with it. */
public record Problem(Fault fault, String text) {
    public Problem {
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
        return fault.label() + ": " + text;
    }
}
