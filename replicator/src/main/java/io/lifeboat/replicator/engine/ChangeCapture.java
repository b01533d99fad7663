package io.lifeboat.replicator.engine;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.apply.Applier;
import io.lifeboat.replicator.apply.SchemaDriftException;
import io.lifeboat.replicator.route.SourceTransaction;
import io.lifeboat.replicator.route.TransactionAssembler;
import io.lifeboat.replicator.schema.Table;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Debezium engine on the master's slot and hands whole transactions to the applier, in groups, on the
 * engine's thread. A record is acknowledged only once the standby transaction holding it has committed.
 */
public final class ChangeCapture implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeCapture.class);
    private static final int MAX_DRIFT_ATTEMPTS = 1000;

    private final DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
    private final ExecutorService executor;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final TransactionAssembler assembler = new TransactionAssembler();
    private final Applier applier;
    private final DriftHandler drift;
    private final int maxRows;
    private volatile long appliedTransactions;

    public ChangeCapture(ConnectionConfig master, ReplicationConfig replication, List<Table> pushdelta,
                         Applier applier, DriftHandler drift) {
        this.applier = applier;
        this.drift = drift;
        this.maxRows = replication.batchMaxRows();
        this.engine = DebeziumEngine.create(Connect.class)
                .using(EngineProperties.of(master, replication, pushdelta))
                .using((success, message, error) -> {
                    if (!success) {
                        failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
                    }
                    stopped.countDown();
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

    private void handleBatch(List<ChangeEvent<SourceRecord, SourceRecord>> events,
                             DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws InterruptedException {
        List<TransactionAssembler.Completed<ChangeEvent<SourceRecord, SourceRecord>>> ready = new ArrayList<>();
        long rows = 0;
        for (ChangeEvent<SourceRecord, SourceRecord> event : events) {
            var completed = assembler.accept(event, event.value());
            if (completed.isPresent()) {
                ready.add(completed.get());
                rows += completed.get().transaction().changes().size();
                if (rows >= maxRows) {
                    applyAndAcknowledge(ready, committer);
                    rows = 0;
                }
            }
        }
        applyAndAcknowledge(ready, committer);
        committer.markBatchFinished();
    }

    private void applyAndAcknowledge(
            List<TransactionAssembler.Completed<ChangeEvent<SourceRecord, SourceRecord>>> ready,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws InterruptedException {
        if (ready.isEmpty()) {
            return;
        }
        List<SourceTransaction> group = ready.stream().map(TransactionAssembler.Completed::transaction).toList();
        Applier.Result result = applyHandlingDrift(group);
        appliedTransactions += result.appliedTransactions();
        log.debug("applied {} transactions ({} rows, {} replayed) up to {}", result.appliedTransactions(),
                result.rows(), result.skippedTransactions(), result.position());
        // Offsets are positions, and the engine keeps only the newest one: acknowledging the group's last record
        // (its last transaction's END) moves the slot exactly as far as acknowledging each record would, without
        // the engine's per-record bookkeeping.
        List<ChangeEvent<SourceRecord, SourceRecord>> lastRecords = ready.get(ready.size() - 1).records();
        committer.markProcessed(lastRecords.get(lastRecords.size() - 1));
        ready.clear();
    }

    /** Each drift either repairs the standby or pauses one table, so this ends within as many tries as tables. */
    private Applier.Result applyHandlingDrift(List<SourceTransaction> group) {
        for (int attempt = 0; ; attempt++) {
            try {
                return applier.apply(group);
            } catch (SchemaDriftException e) {
                if (attempt >= MAX_DRIFT_ATTEMPTS) {
                    throw e;
                }
                drift.handle(e);
            } catch (SQLException e) {
                throw new LifeboatException("cannot apply changes to the standby (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Called on the engine's thread when a change does not fit the standby's schema. */
    public interface DriftHandler {
        /** Repairs the standby or pauses the table; throws when it can do neither. */
        void handle(SchemaDriftException drift);
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
