package io.lifeboat.cli.service;

import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.replicator.Replicator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Continuous replication inside the service, as {@code sync run} does it, on a thread of its own. The replicator
 * already waits out server restarts and cut connections; when it ends with a failure of its own the service starts
 * it again after a backoff, because replication must go on whatever else happens.
 */
final class Replication {
    private static final Logger log = LoggerFactory.getLogger(Replication.class);

    private final LifeboatConfig config;
    private final Pools pools;
    private final Backoff restart;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final Thread thread;
    private volatile Replicator current;

    Replication(LifeboatConfig config, Pools pools, Backoff restart) {
        this.config = config;
        this.pools = pools;
        this.restart = restart;
        this.thread = new Thread(this::loop, "lifeboat-replicator");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        MDC.put("job", "sync");
        int failures = 0;
        while (stopRequested.getCount() > 0) {
            Replicator replicator = new Replicator(config.master(), config.replication(), pools.master(),
                    pools.standby());
            current = replicator;
            if (stopRequested.getCount() == 0) {
                return;
            }
            long started = System.nanoTime();
            try {
                replicator.run();
                return;
            } catch (Exception | LinkageError | AssertionError e) {
                if (Duration.ofNanos(System.nanoTime() - started).compareTo(restart.max()) > 0) {
                    failures = 0;
                }
                failures++;
                Duration wait = restart.after(Math.min(failures, 30));
                log.error("replication stopped: {}; starting it again in {}", JobLoop.reason(e),
                        HumanDuration.format(wait));
                log.debug("replication failure", e);
                try {
                    if (stopRequested.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Stops replication; the position stays saved in the standby. */
    void stop() {
        stopRequested.countDown();
        Replicator replicator = current;
        if (replicator != null) {
            replicator.stop();
        }
    }

    boolean await(Duration limit) throws InterruptedException {
        thread.join(Math.max(1, limit.toMillis()));
        return !thread.isAlive();
    }
}
