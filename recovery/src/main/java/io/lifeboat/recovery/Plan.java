package io.lifeboat.recovery;

import java.time.Duration;
import java.util.List;

/**
 * What {@code execute} will do for one verified candidate, in order, and how long it should take.
 */
public record Plan(Probe probe, Verification verification, List<String> steps, Duration expected) {
    public Plan {
        steps = List.copyOf(steps);
    }

    public String rung() {
        return probe.rung();
    }

    public String candidate() {
        return probe.candidate();
    }
}
