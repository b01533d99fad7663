package io.lifeboat.core.error;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a call again while it fails with one kind of exception, with exponential backoff and jitter, within a
 * number of attempts and a total time. Any other exception passes through at once. When it gives up it throws
 * {@link RetryExhaustedException}, which lists every attempt. On interrupt it restores the flag and stops.
 *
 * <pre>{@code
 * Retry.on(TransientException.class).attempts(5).backoff(ofMillis(200), ofSeconds(10)).within(ofMinutes(2))
 *      .run(() -> client.uploadPart(...));
 * }</pre>
 */
public final class Retry {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

    private final Class<? extends RuntimeException> retryable;
    private int attempts = 5;
    private Duration minBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(10);
    private Duration within = Duration.ofMinutes(2);

    private Retry(Class<? extends RuntimeException> retryable) {
        this.retryable = retryable;
    }

    public static Retry on(Class<? extends RuntimeException> retryable) {
        return new Retry(retryable);
    }

    public Retry attempts(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, not " + count);
        }
        this.attempts = count;
        return this;
    }

    public Retry backoff(Duration min, Duration max) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff " + min + ".." + max + " is not a range");
        }
        this.minBackoff = min;
        this.maxBackoff = max;
        return this;
    }

    public Retry within(Duration total) {
        this.within = total;
        return this;
    }

    /** Calls {@code call} until it returns, fails with a non-retryable exception, or the limits are reached. */
    public <T> T run(Supplier<T> call) {
        long begin = System.nanoTime();
        long deadline = begin + within.toNanos();
        List<RuntimeException> failures = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            RuntimeException failure;
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (!retryable.isInstance(e)) {
                    failures.forEach(e::addSuppressed);
                    throw e;
                }
                failure = e;
            }
            failures.add(failure);
            long delay = delayNanos(attempt);
            boolean outOfTime = System.nanoTime() + delay > deadline;
            if (attempt >= attempts || outOfTime) {
                throw new RetryExhaustedException(failures, Duration.ofNanos(System.nanoTime() - begin));
            }
            LOG.debug("attempt {} of {} failed, again in {} ms: {}", attempt, attempts, delay / 1_000_000,
                    failure.getMessage());
            try {
                Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LifeboatException interrupted = new LifeboatException(
                        "interrupted while waiting to retry (" + failure.getMessage() + ")", failure);
                return rethrow(interrupted);
            }
        }
    }

    private static <T> T rethrow(LifeboatException e) {
        throw e;
    }

    /** Doubles from the minimum up to the maximum, each delay drawn from its upper half so callers spread out. */
    private long delayNanos(int attempt) {
        long min = minBackoff.toNanos();
        long ceiling = min << Math.min(attempt - 1, 30);
        if (ceiling <= 0 || ceiling > maxBackoff.toNanos()) {
            ceiling = maxBackoff.toNanos();
        }
        long floor = ceiling / 2;
        return ceiling == floor ? ceiling : ThreadLocalRandom.current().nextLong(floor, ceiling + 1);
    }
}
