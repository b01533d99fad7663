package io.lifeboat.snapshotter.quiesce;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlocks the master at a deadline, whatever the thread holding the lock is doing (waiting on a hung command, a
 * hung server, anything). The kill of this whole process is covered elsewhere: the server ends backup mode when the
 * session's socket closes, and {@link FilesystemFreeze} leaves a thaw process behind that outlives us.
 */
public final class LockWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LockWatchdog.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "lifeboat-lock-watchdog");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean fired = new AtomicBoolean();
    private final long deadlineNanos;
    private final ScheduledFuture<?> alarm;

    private LockWatchdog(Duration bound, Runnable unlock) {
        this.deadlineNanos = System.nanoTime() + bound.toNanos();
        this.alarm = timer.schedule(() -> {
            fired.set(true);
            LOG.warn("snapshot: lock held for {} s; the watchdog unlocks the master now", bound.toSeconds());
            unlock.run();
        }, bound.toNanos(), TimeUnit.NANOSECONDS);
    }

    public static LockWatchdog arm(Duration bound, Runnable unlock) {
        return new LockWatchdog(bound, unlock);
    }

    /** Time left before the watchdog fires, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    public boolean fired() {
        return fired.get();
    }

    /** Stops the alarm; returns false when it already fired. */
    public boolean disarm() {
        alarm.cancel(false);
        return !fired.get();
    }

    @Override
    public void close() {
        alarm.cancel(false);
        timer.shutdownNow();
    }
}
