package io.lifeboat.replicator;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** A {@link Replicator} running on its own thread (the demo, tests); closing it stops replication and waits. */
public final class BackgroundReplication implements AutoCloseable {
    private static final Duration STOP_LIMIT = Duration.ofSeconds(30);

    private final Replicator replicator;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    BackgroundReplication(Replicator replicator) {
        this.replicator = replicator;
        this.thread = new Thread(() -> {
            try {
                replicator.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "lifeboat-replicator");
        thread.setDaemon(true);
        thread.start();
    }

    /** Why replication ended, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    @Override
    public void close() throws InterruptedException {
        replicator.stop();
        thread.join(STOP_LIMIT.toMillis());
    }
}
