package io.lifeboat.cli.service;

import java.time.Duration;

/**
 * How a failed job is tried again: {@code attempts} tries in all, the waits between them doubling from
 * {@code first} up to {@code max}. Bounded, so a job that keeps failing waits for its next scheduled run.
 */
public record Backoff(Duration first, Duration max, int attempts) {
    public Backoff {
        if (attempts < 1 || first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff " + first + ".." + max + " x" + attempts);
        }
    }

    /** The wait after failed attempt {@code attempt} (1-based). */
    public Duration after(int attempt) {
        Duration wait = first;
        for (int i = 1; i < attempt && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
