package io.lifeboat.replicator;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.TransientFailure;
import io.lifeboat.core.error.TransientException;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.apply.Applier;
import io.lifeboat.replicator.apply.ApplyProgress;
import io.lifeboat.replicator.apply.PausedTables;
import io.lifeboat.replicator.apply.SchemaDriftException;
import io.lifeboat.replicator.engine.ChangeCapture;
import io.lifeboat.replicator.engine.ChangeReplay;
import io.lifeboat.replicator.engine.UnreadableChange;
import io.lifeboat.replicator.fullcopy.FullcopyRound;
import io.lifeboat.replicator.fullcopy.InitialSync;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.replicator.sequence.SequenceSync;
import io.lifeboat.replicator.setup.Heartbeat;
import io.lifeboat.replicator.setup.MasterPosition;
import io.lifeboat.replicator.setup.MasterPrerequisites;
import io.lifeboat.replicator.setup.Publication;
import io.lifeboat.replicator.setup.ReplicationSlot;
import io.lifeboat.replicator.setup.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the standby equal to the master: checks prerequisites, makes the publication and slot, copies every table
 * when the slot is new, then streams changes ({@code pushdelta}) and recopies tables without a primary key
 * ({@code fullcopy}) on their interval, until {@link #stop()}.
 */
public final class Replicator {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    private final ConnectionConfig masterConfig;
    private final ReplicationConfig config;
    private final DataSource master;
    private final DataSource standby;
    private static final Duration SEQUENCE_INTERVAL = Duration.ofSeconds(10);
    private static final Duration SLOT_CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final int MAX_SLOT_RECREATIONS = 3;
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final int MAX_UNEXPLAINED_FAILURES = 10;
    /** The same data error this many times in a row at one position: a change Debezium cannot read, looked for. */
    private static final int UNREADABLE_CONFIRMATIONS = 2;
    private volatile Lsn lastApplied = Lsn.ZERO;
    private volatile Instant interruptedSince;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final SequenceSync sequences = new SequenceSync();
    private final SchemaWatch schema;

    public Replicator(ConnectionConfig masterConfig, ReplicationConfig config, DataSource master, DataSource standby) {
        this.masterConfig = masterConfig;
        this.config = config;
        this.master = master;
        this.standby = standby;
        this.schema = new SchemaWatch(config, master, standby);
    }

    /** Runs {@link #run()} on a thread of its own. */
    public BackgroundReplication startInBackground() {
        return new BackgroundReplication(this);
    }

    /** Asks {@link #run()} to stop; the position stays saved in the standby. */
    public void stop() {
        stopRequested.countDown();
    }

    /**
     * Replicates until {@link #stop()} or a failure. A restart of either server, a cut connection or a killed
     * walsender is a pause: tried again with backoff, one WARN line per attempt, one INFO line when streaming resumes.
     * A slot the master invalidates while this runs (it removed WAL the slot still needed) is recreated and every
     * table copied again, rather than silently missing changes. A failure of Lifeboat itself (out of memory, a bug)
     * ends the run with what happened, rather than restarting into the same failure for ever.
     */
    public void run() throws SQLException, InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        int recreated = 0;
        int unexplained = 0;
        Lsn progressAtLastFailure = null;
        while (stopRequested.getCount() > 0) {
            long started = System.nanoTime();
            try {
                TableSelection selection = prepare();
                StreamEnd end = stream(selection);
                if (end == StreamEnd.STOPPED) {
                    return;
                }
                if (end == StreamEnd.CAPTURE_CHANGED) {
                    continue;
                }
                if (++recreated > MAX_SLOT_RECREATIONS) {
                    throw new LifeboatException("slot " + config.slot() + " was lost " + recreated + " times in a row",
                            "the standby cannot keep up with the master: raise max_slot_wal_keep_size", null);
                }
                log.error("slot {} was lost while replicating: recreating it and copying every table again",
                        config.slot());
            } catch (SQLException | RuntimeException e) {
                if (!TransientFailure.test(e) && !(e instanceof UnexplainedCaptureFailure)) {
                    throw e;
                }
                if (e instanceof UnexplainedCaptureFailure unexplainedFailure) {
                    // Debezium reports some failures without a classifiable cause; the same one over and over at
                    // the same position is not a pause but a stop, and is said so.
                    unexplained = lastApplied.equals(progressAtLastFailure) ? unexplained + 1 : 1;
                    if (unexplained >= UNREADABLE_CONFIRMATIONS && ChangeReplay.mayBeUnreadable(e)
                            && passOverUnreadable()) {
                        // That table is paused and the engine passes over its changes: the rest goes on at once.
                        unexplained = 0;
                        progressAtLastFailure = null;
                        backoff = FIRST_BACKOFF;
                        continue;
                    }
                    if (unexplained >= MAX_UNEXPLAINED_FAILURES) {
                        throw new LifeboatException("change capture failed " + unexplained + " times in a row at "
                                + lastApplied + ": " + rootMessage(e), "run with -v for the details", e);
                    }
                    log.debug("change capture failure", unexplainedFailure);
                }
                progressAtLastFailure = lastApplied;
                if (Duration.ofNanos(System.nanoTime() - started).compareTo(MAX_BACKOFF) > 0) {
                    backoff = FIRST_BACKOFF;
                }
                if (interruptedSince == null) {
                    interruptedSince = Instant.now();
                }
                log.warn("replication interrupted ({}); trying again in {}", rootMessage(e),
                        HumanDuration.format(backoff));
                log.debug("interruption", e);
                if (stopRequested.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * The engine stopped on the same data error again: finds the change it cannot read and pauses that table, whose
     * changes the engine then passes over.
     *
     * @return false when no pending change fails to read (the failure is something else, and counts on)
     */
    private boolean passOverUnreadable() throws SQLException {
        Optional<UnreadableChange> change;
        try {
            change = ChangeReplay.find(masterConfig, config, schema.uncaptured());
        } catch (LifeboatException e) {
            log.warn("{}", e.getMessage());
            return false;
        }
        if (change.isEmpty()) {
            return false;
        }
        try (Connection s = standby.getConnection()) {
            schema.pauseUnreadable(change.get(), PausedTables.load(s));
        }
        return true;
    }

    private enum StreamEnd {
        /** {@link #stop()} was asked for. */
        STOPPED,
        /** The master invalidated the slot. */
        SLOT_LOST,
        /** The engine must start again to pass over other tables' changes. */
        CAPTURE_CHANGED
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().strip();
    }

    /** Streams until stopped, the slot is lost, or the engine must pass over other tables; any failure throws. */
    private StreamEnd stream(TableSelection selection) throws SQLException, InterruptedException {
        try (Connection applyConnection = standby.getConnection();
             ApplyProgress progress = new ApplyProgress(standby, config.slot())) {
            PausedTables paused = PausedTables.load(applyConnection);
            Applier[] applierRef = new Applier[1];
            Applier applier = new Applier(config.slot(), applyConnection, config.batchMaxRows(), paused,
                    (failure, connection) -> handleDrift(failure, connection, applierRef[0], paused));
            applierRef[0] = applier;
            lastApplied = applier.applied();
            ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(3, runnable -> {
                Thread thread = new Thread(runnable, "lifeboat-schedule");
                thread.setDaemon(true);
                return thread;
            });
            schema.takeCaptureChanged();
            ChangeCapture capture = new ChangeCapture(masterConfig, config, schema.uncaptured(), applier, progress,
                    () -> streamingStarted(applier));
            boolean captureChanged = false;
            try {
                capture.start();
                log.info("replicating {} pushdelta and {} fullcopy tables from {} (slot {}, from {})",
                        selection.pushdelta().size(), selection.fullcopy().size(), masterConfig.address(),
                        config.slot(), applier.applied());
                scheduler.scheduleWithFixedDelay(this::beat, 0, 1, TimeUnit.SECONDS);
                scheduler.scheduleWithFixedDelay(() -> resumeFixed(applier, paused), 1, 2, TimeUnit.SECONDS);
                scheduler.scheduleWithFixedDelay(this::syncSequences, 0, SEQUENCE_INTERVAL.toMillis(),
                        TimeUnit.MILLISECONDS);
                scheduler.scheduleWithFixedDelay(this::watchSlot, 5, SLOT_CHECK_INTERVAL.toSeconds(), TimeUnit.SECONDS);
                long every = config.fullcopyInterval().toMillis();
                scheduler.scheduleWithFixedDelay(() -> schema.fullcopyRound(paused), every, every,
                        TimeUnit.MILLISECONDS);
                long watch = SchemaWatch.INTERVAL.toMillis();
                scheduler.scheduleWithFixedDelay(() -> schema.check(applier, paused), watch, watch, TimeUnit.MILLISECONDS);
                while (!stopRequested.await(200, TimeUnit.MILLISECONDS)) {
                    lastApplied = applier.applied();
                    if (capture.awaitStop(Duration.ZERO)) {
                        break;
                    }
                    if (schema.takeCaptureChanged()) {
                        captureChanged = true;
                        break;
                    }
                }
            } finally {
                scheduler.shutdownNow();
                capture.close();
                lastApplied = applier.applied();
            }
            if (captureChanged && capture.failure() == null && stopRequested.getCount() > 0) {
                log.info("change capture restarting at {} to stream {}", applier.applied(),
                        schema.uncaptured().isEmpty() ? "every table" : "every table but " + schema.uncaptured());
                return StreamEnd.CAPTURE_CHANGED;
            }
            // A stop asked for while the engine was still starting ends it with an error of its own: not a failure.
            if (capture.failure() == null || stopRequested.getCount() == 0) {
                log.info("replication stopped at {}", applier.applied());
                return StreamEnd.STOPPED;
            }
            if (slotLost()) {
                return StreamEnd.SLOT_LOST;
            }
            throw classified(capture.failure());
        }
    }

    /** Why the capture stopped, as what the caller can do about it. */
    private static RuntimeException classified(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof VirtualMachineError error) {
                return new LifeboatException("lifeboat itself failed while replicating ("
                        + error.getClass().getSimpleName() + ": " + error.getMessage() + ")",
                        error instanceof OutOfMemoryError
                                ? "this is a bug in lifeboat (memory must not depend on the data); report it with the"
                                        + " log, and raise LIFEBOAT_MAX_HEAP to go on meanwhile"
                                : "this is a bug in lifeboat; report it with the log", failure);
            }
        }
        if (TransientFailure.test(failure)) {
            return new TransientException("change capture stopped: " + rootMessage(failure), failure);
        }
        Throwable cause = failure;
        while (cause.getCause() != null && !(cause instanceof LifeboatException)) {
            cause = cause.getCause();
        }
        if (cause instanceof LifeboatException known) {
            return known;
        }
        return new UnexplainedCaptureFailure("change capture stopped: " + rootMessage(failure), failure);
    }

    private void streamingStarted(Applier applier) {
        Instant since = interruptedSince;
        if (since != null) {
            interruptedSince = null;
            log.info("replication resumed from {} after {}", applier.applied(),
                    HumanDuration.format(Duration.between(since, Instant.now()).truncatedTo(ChronoUnit.SECONDS)));
        }
    }

    /** A capture failure Debezium gives no classifiable cause for: tried again, but not for ever at one position. */
    static final class UnexplainedCaptureFailure extends LifeboatException {
        UnexplainedCaptureFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private boolean slotLost() {
        try (Connection m = master.getConnection()) {
            return ReplicationSlot.state(m, config.slot()).map(ReplicationSlot.SlotState::lost).orElse(true);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /** Warns while the slot holds more WAL on the master than configured: the master's disk is what fills. */
    private void watchSlot() {
        try (Connection m = master.getConnection()) {
            ReplicationSlot.state(m, config.slot()).ifPresent(slot -> {
                if (slot.retainedWalBytes() > config.retainedWalWarning().bytes()) {
                    log.warn("slot {} retains {} of WAL on master (warning at {}); is the standby keeping up?",
                            slot.name(), io.lifeboat.core.config.DataSize.ofBytes(slot.retainedWalBytes()).approximate(),
                            config.retainedWalWarning());
                }
            });
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot read slot {} on master: {}", config.slot(), e.getMessage());
        }
    }

    /**
     * The standby refused a change of one table: the standby gets the columns it can take (in the applier's own
     * transaction), or that table pauses with the fix (when the two definitions differ) or the standby's message,
     * and the other tables go on.
     */
    private void handleDrift(SchemaDriftException drift, Connection applyConnection, Applier applier,
                             PausedTables paused) {
        schema.handle(drift, applyConnection, applier, paused);
    }

    /**
     * Resumes each paused table whose standby definition fits again, from a fresh copy; one whose copy fails again
     * waits longer each time.
     */
    private void resumeFixed(Applier applier, PausedTables paused) {
        schema.resumeFixed(applier, paused);
    }

    private void syncSequences() {
        try (Connection m = master.getConnection(); Connection s = standby.getConnection()) {
            SequenceSync.Result result = sequences.run(m, s);
            if (!result.advanced().isEmpty()) {
                log.debug("sequences advanced on standby: {}", result.advanced());
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot bring sequences up to date: {}", e.getMessage());
        }
    }

    private void beat() {
        try (Connection m = master.getConnection()) {
            Heartbeat.beat(m);
            try (Connection s = standby.getConnection()) {
                MasterPosition.record(m, s, config.slot());
            } catch (SQLException | RuntimeException e) {
                log.debug("cannot record the master's position in the standby's catalog: {}", e.getMessage());
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot write the heartbeat on master: {}", e.getMessage());
        }
    }

    /**
     * Everything before streaming: checks, publication, slot, and the initial copy when the slot is new. A table
     * that does not fit the standby (missing there, different columns or key) never stops the start: it is paused
     * with the fix and the others are replicated.
     */
    public TableSelection prepare() throws SQLException {
        try (Connection m = master.getConnection(); Connection s = standby.getConnection()) {
            MasterPrerequisites.check(m, config.slot());
            Heartbeat.ensure(m);
            TableSelection selection = TableSelection.of(TableCatalog.read(m), config).withHeartbeat();
            PausedTables paused = PausedTables.load(s);
            schema.prepare(m, s, selection, paused);
            List<TableName> publishedBefore = Publication.published(m, config.publication());
            Publication.ensure(m, config.publication(), selection.pushdelta());
            Optional<ReplicationSlot.SlotState> slot = ReplicationSlot.state(m, config.slot());
            Optional<Lsn> applied = AppliedPosition.read(s, config.slot());
            if (slot.isPresent() && slot.get().lost()) {
                log.error("slot {} on master is lost (the WAL it needed was removed): recreating it and copying"
                        + " every table again", config.slot());
                ReplicationSlot.drop(m, config.slot());
                slot = Optional.empty();
            } else if (slot.isPresent() && applied.isEmpty()) {
                log.warn("slot {} exists on master but the standby has no applied position for it: recreating the"
                        + " slot and copying every table", config.slot());
                ReplicationSlot.drop(m, config.slot());
                slot = Optional.empty();
            }
            if (slot.isEmpty()) {
                // Paused tables are copied when they resume, from a snapshot of their own.
                ReplicationSlot.ExportedSnapshot snapshot =
                        ReplicationSlot.createExportingSnapshot(masterConfig, config.slot());
                InitialSync.Result result = InitialSync.run(snapshot,
                        selection.all().stream().filter(t -> !paused.contains(t.name())).toList(), config.slot(), m, s);
                log.info("initial sync: {} tables, {} rows in {} ms; streaming from {}", result.tables(),
                        result.rows(), result.millis(), result.position());
                schema.refused(paused, result.refused());
            } else {
                // Tables new to the publication stream from now on; their existing rows come from a copy taken
                // after they joined it, so the two overlap rather than leave a gap.
                List<Table> added = selection.pushdelta().stream()
                        .filter(t -> !publishedBefore.contains(t.name()) && !t.equals(Heartbeat.TABLE)
                                && !paused.contains(t.name()))
                        .toList();
                if (!added.isEmpty()) {
                    log.info("new tables to replicate: {}; copying them", added.stream().map(Table::name).toList());
                    schema.copyEach(added, paused);
                }
            }
            return selection;
        }
    }
}
