package io.lifeboat.cli.service;

import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.setup.SlotLock;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lifeboat run}: everything in one process. Continuous replication, and the jobs on their schedules:
 * snapshots (verified and pruned), the nightly archive (then offsite copy and retention), the nightly validation and
 * the daily recovery dry-run. Each job runs on its own thread, so one that fails or hangs never holds up the others
 * or replication; every run is a row in {@code lifeboat.job}.
 *
 * <p>One service per catalog: {@link #start()} takes the {@link ServiceLock} first, and the slot's lock (as
 * {@code sync run} does) next. {@link #close()} stops everything: side services first, then the jobs (an archive is
 * cut short and leaves no manifest; a snapshot being taken completes), then replication (its position stays saved).
 */
public final class Service implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Service.class);

    private final LifeboatConfig config;
    private final Pools pools;
    private final ServiceTiming timing;
    private final List<SideService> sideServices;
    private final Clock clock;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final List<AutoCloseable> startedSides = new ArrayList<>();
    private final List<JobLoop> loops = new ArrayList<>();
    private ServiceLock serviceLock;
    private SlotLock slotLock;
    private Replication replication;
    private ScheduledExecutorService keeper;
    private boolean closed;
    private boolean started;

    public Service(LifeboatConfig config, Pools pools, ServiceTiming timing, List<SideService> sideServices) {
        this.config = config;
        this.pools = pools;
        this.timing = timing;
        this.sideServices = List.copyOf(sideServices);
        this.clock = Clock.systemUTC();
    }

    /**
     * Brings the catalog up to date and takes the locks, before anything else happens.
     *
     * @throws LifeboatException another {@code lifeboat run} holds the catalog (naming its host and pid), or another
     *         {@code sync run} the slot
     */
    public synchronized void lock() throws SQLException {
        new CatalogMigrator(pools.standby()).migrate();
        serviceLock = ServiceLock.lock(config.standby());
        slotLock = SlotLock.lock(config.standby(), config.replication().slot());
    }

    /** Starts the side services, replication and the jobs; {@link #lock()} first. */
    public synchronized void start() throws Exception {
        if (serviceLock == null || slotLock == null) {
            throw new IllegalStateException("lock() first");
        }
        JobHistory history = new JobHistory(pools.standby());
        int abandoned = history.endAbandoned();
        if (abandoned > 0) {
            log.warn("{} job run(s) left running by an earlier service marked failed: it stopped while they ran",
                    abandoned);
        }
        // Side services first: the monitor's metrics registry must be in place before replication registers its
        // counters, else their first counts are lost and Micrometer says so in a WARN line.
        for (SideService side : sideServices) {
            startedSides.add(side.start());
        }
        replication = new Replication(config, pools, timing.replicationRestart());
        replication.start();
        for (Job job : jobs(history)) {
            JobLoop loop = new JobLoop(job, history, timing.jobRetry(), clock);
            loops.add(loop);
            loop.start();
            log.info("{}: scheduled {}", job.name(), job.schedule());
        }
        keeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lifeboat-service-locks");
            thread.setDaemon(true);
            return thread;
        });
        long every = timing.lockCheck().toMillis();
        keeper.scheduleWithFixedDelay(this::keepLocks, every, every, TimeUnit.MILLISECONDS);
        started = true;
        log.info("lifeboat run: replicating, {} job(s) scheduled", loops.size());
    }

    private List<Job> jobs(JobHistory history) {
        List<Job> jobs = new ArrayList<>();
        config.snapshots().ifPresent(snapshots -> jobs.add(new SnapshotSteps(snapshots, pools, clock).job()));
        if (!config.archive().targets().isEmpty()) {
            jobs.add(new ArchiveSteps(config, pools, clock).job());
        } else {
            log.info("archive: no archive.targets, so no nightly archive");
        }
        jobs.add(new ValidationStep(config, pools, history).job());
        jobs.add(new DryRunStep(config, history, clock).job());
        return jobs;
    }

    /** A lock another process took while this one's standby session was lost ends the service. */
    private void keepLocks() {
        Optional<String> lost = serviceLock.keep().or(slotLock::keep);
        lost.ifPresent(reason -> {
            failure.compareAndSet(null, reason);
            log.error("{}: stopping", reason);
            ended.countDown();
        });
    }

    /** Waits until the service ends by itself (a lock taken over) or {@code limit} passes; true when it ended. */
    public boolean awaitEnd(Duration limit) throws InterruptedException {
        return ended.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends {@link #awaitEnd} at once; {@link #close()} then stops everything. */
    public void requestStop() {
        ended.countDown();
    }

    /** Why the service ended by itself, if it did. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure.get());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ended.countDown();
        long deadline = System.nanoTime() + timing.stopLimit().toNanos();
        List<AutoCloseable> sides = new ArrayList<>(startedSides);
        Collections.reverse(sides);
        for (AutoCloseable side : sides) {
            try {
                side.close();
            } catch (Exception e) {
                log.warn("stopping {}: {}", side, e.getMessage());
            }
        }
        if (keeper != null) {
            keeper.shutdownNow();
        }
        loops.forEach(JobLoop::stop);
        if (replication != null) {
            replication.stop();
        }
        try {
            for (JobLoop loop : loops) {
                if (!loop.await(remaining(deadline))) {
                    log.warn("{}: still running at the stop limit; its run is recorded as failed", loop.name());
                    loop.abandon();
                }
            }
            if (replication != null && !replication.await(remaining(deadline))) {
                log.warn("replication did not stop within the stop limit; its position is the last one committed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (slotLock != null) {
                slotLock.close();
            }
            if (serviceLock != null) {
                serviceLock.close();
            }
        }
        if (started) {
            log.info("lifeboat run stopped");
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }
}
