package io.lifeboat.replicator.engine;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.apply.Applier;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.TransientFailure;
import io.lifeboat.core.error.TransientException;
import io.lifeboat.replicator.apply.ApplyProgress;
import io.lifeboat.replicator.route.SourceTransaction;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.replicator.route.TransactionAssembler;
import io.lifeboat.replicator.route.TransactionPiece;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Debezium engine on the master's slot and hands master transactions to the applier on the engine's
 * thread: small ones whole and in groups, large ones piece by piece into one open standby transaction. A record is
 * acknowledged only once the standby transaction holding it has committed.
 */
public final class ChangeCapture implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeCapture.class);

    private final DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
    private final ExecutorService executor;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final TransactionAssembler assembler;
    private final Applier applier;
    private final ApplyProgress progress;
    private final int maxRows;
    private final long maxDelayNanos;
    private volatile long appliedTransactions;
    // Whole transactions waiting to be applied together, with the last record that carried them.
    private final List<SourceTransaction> pending = new ArrayList<>();
    private long pendingRows;
    private long pendingBytes;
    private long pendingSince;
    private ChangeEvent<SourceRecord, SourceRecord> pendingLast;
    private Lsn newestTaken = Lsn.ZERO;

    /** @param uncaptured tables whose changes the engine passes over (see {@link EngineProperties#of}) */
    public ChangeCapture(ConnectionConfig master, ReplicationConfig replication, Set<TableName> uncaptured,
                         Applier applier, ApplyProgress progress, Runnable onStreaming) {
        this.applier = applier;
        this.progress = progress;
        this.maxRows = replication.batchMaxRows();
        this.maxDelayNanos = replication.batchMaxDelay().toNanos();
        this.assembler = new TransactionAssembler(replication.batchMaxRows(), EngineProperties.PIECE_BYTES);
        this.engine = DebeziumEngine.create(Connect.class)
                .using(EngineProperties.of(master, replication, uncaptured))
                .using((success, message, error) -> {
                    if (!success) {
                        failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
                    }
                    stopped.countDown();
                })
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        onStreaming.run();
                    }
                })
                .notifying(this::handleBatch)
                .build();
        this.executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lifeboat-capture");
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start() {
        executor.execute(engine);
    }

    /** Waits until the engine stops; true if it did within {@code limit}. */
    public boolean awaitStop(Duration limit) throws InterruptedException {
        return stopped.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Why the engine stopped, if it failed. */
    public Throwable failure() {
        return failure.get();
    }

    public long appliedTransactions() {
        return appliedTransactions;
    }

    /**
     * Whole transactions are grouped into one standby transaction up to {@code batch.max_rows} rows while a backlog
     * lasts (the engine hands over full batches); a batch that is not full means the stream has caught up, and so
     * does a group older than {@code batch.max_delay}: then the group commits at once.
     */
    private void handleBatch(List<ChangeEvent<SourceRecord, SourceRecord>> events,
                             DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws InterruptedException {
        try {
            for (ChangeEvent<SourceRecord, SourceRecord> event : events) {
                var piece = assembler.accept(event, event.value());
                if (assembler.takeInterrupted().isPresent() && applier.inLargeTransaction()) {
                    applier.abort();
                    progress.end();
                }
                if (piece.isPresent()) {
                    take(piece.get(), committer);
                }
            }
            if (!pending.isEmpty() && (events.size() < EngineProperties.MAX_BATCH_SIZE
                    || System.nanoTime() - pendingSince >= maxDelayNanos)) {
                flush(committer);
            }
        } catch (SQLException e) {
            abandon();
            if (TransientFailure.test(e)) {
                throw new TransientException("the standby went away while applying changes (" + firstLine(e) + ")",
                        e);
            }
            throw new LifeboatException("cannot apply changes to the standby (" + firstLine(e) + ")", e);
        } catch (RuntimeException | Error e) {
            abandon();
            throw e;
        }
        committer.markBatchFinished();
    }

    private void take(TransactionPiece<ChangeEvent<SourceRecord, SourceRecord>> piece,
                      DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws SQLException, InterruptedException {
        if (piece.last()) {
            // Commit positions only grow in the stream; one at or below the newest taken is sent again by an
            // engine that started over from the slot, and is applied (or waiting) already.
            Lsn commit = piece.commitLsn().orElseThrow();
            if (!commit.isAfter(newestTaken)) {
                if (!piece.first() && applier.inLargeTransaction()) {
                    applier.abort();
                    progress.end();
                }
                return;
            }
            newestTaken = commit;
        }
        if (piece.whole()) {
            if (pending.isEmpty()) {
                pendingSince = System.nanoTime();
            }
            pending.add(piece.transaction());
            pendingRows += piece.changes().size();
            pendingBytes += piece.bytes();
            pendingLast = piece.lastRecord();
            if (pendingRows >= maxRows || pendingBytes >= EngineProperties.PIECE_BYTES) {
                flush(committer);
            }
            return;
        }
        if (piece.first()) {
            flush(committer);
            applier.begin(piece.transactionId());
            progress.begin();
        }
        if (piece.last()) {
            Applier.Result result = applier.commit(piece.transaction());
            progress.end();
            appliedTransactions += result.appliedTransactions();
            log.info("large transaction {} applied: {} rows up to {}", piece.transactionId(), result.rows(),
                    result.position());
            committer.markProcessed(piece.lastRecord());
        } else {
            long rows = applier.applyPiece(piece.changes());
            progress.applied(piece.transactionId(), rows);
        }
    }

    private void flush(DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws SQLException, InterruptedException {
        if (pending.isEmpty()) {
            return;
        }
        Applier.Result result = applier.apply(List.copyOf(pending));
        appliedTransactions += result.appliedTransactions();
        log.debug("applied {} transactions ({} rows, {} replayed) up to {}", result.appliedTransactions(),
                result.rows(), result.skippedTransactions(), result.position());
        // Offsets are positions, and the engine keeps only the newest one: acknowledging the group's last record
        // (its last transaction's END) moves the slot exactly as far as acknowledging each record would.
        committer.markProcessed(pendingLast);
        pending.clear();
        pendingRows = 0;
        pendingBytes = 0;
        pendingLast = null;
    }

    /** After a failure nothing unacknowledged may stay: the engine restarts from the slot and sends it again. */
    private void abandon() {
        pending.clear();
        pendingRows = 0;
        pendingBytes = 0;
        pendingLast = null;
        if (applier.inLargeTransaction()) {
            applier.abort();
        }
        progress.end();
    }

    private static String firstLine(Exception e) {
        String message = String.valueOf(e.getMessage()).strip();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void close() {
        try {
            engine.close();
        } catch (IOException | IllegalStateException e) {
            log.debug("engine close", e);
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
