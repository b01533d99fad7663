package io.lifeboat.replicator;

import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.apply.Applier;
import io.lifeboat.replicator.apply.PausedTables;
import io.lifeboat.replicator.apply.SchemaDriftException;
import io.lifeboat.replicator.fullcopy.CopyRefusal;
import io.lifeboat.replicator.fullcopy.FullcopyRound;
import io.lifeboat.replicator.schema.SchemaMismatch;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.replicator.setup.Heartbeat;
import io.lifeboat.replicator.setup.Publication;
import io.lifeboat.replicator.setup.StandbyTables;
import io.lifeboat.replicator.setup.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import io.lifeboat.replicator.engine.UnreadableChange;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps replication in step with DDL on the master, which the change stream does not carry. Every few seconds it
 * compares each replicated table's definition on both servers: a table that no longer fits the standby is paused
 * with the SQL that fixes the standby ({@link SchemaMismatch#line()}); a table new on the master is published and
 * copied; a paused table whose standby fits again is copied whole from a fresh snapshot and streams on. Whatever
 * happens to one table, the others go on.
 *
 * <p>The periodic work ({@link #check}, {@link #resumeFixed}) runs on the replicator's schedule, one at a time;
 * {@link #handle} runs on the engine's thread when the standby refuses a change.
 */
final class SchemaWatch {
    /** How often every table is compared: a CREATE TABLE on the master is noticed within this. */
    static final Duration INTERVAL = Duration.ofSeconds(10);
    /** After a failed copy, or a pause for a value the standby refused: the first retry, doubling to the most. */
    private static final Duration FIRST_RETRY = Duration.ofSeconds(10);
    private static final Duration MAX_RETRY = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(SchemaWatch.class);

    private final ReplicationConfig config;
    private final DataSource master;
    private final DataSource standby;
    /** Periodic comparisons and copies never overlap; a turn that finds the other busy is skipped. */
    private final ReentrantLock turn = new ReentrantLock();
    private final Map<TableName, Retry> retries = new ConcurrentHashMap<>();
    /**
     * Tables paused for a change Debezium cannot read, which the engine passes over (it would stop on the change
     * again), with the wait before the last resume; a table rejoins the engine before its fresh copy. Kept in memory
     * only: after a restart such a table is streamed again (its changes passed over while paused), and one more
     * unreadable change pauses it again.
     */
    private final Set<TableName> uncaptured = ConcurrentHashMap.newKeySet();
    private final Map<TableName, Duration> unreadableWaits = new ConcurrentHashMap<>();
    private final AtomicBoolean captureChanged = new AtomicBoolean();
    private volatile TableSelection current = new TableSelection(List.of(), List.of());

    /** When a paused table may next be copied, and how long the wait before was. */
    private record Retry(long atNanos, Duration delay) {
        Retry next() {
            Duration doubled = delay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay.multipliedBy(2);
            return new Retry(System.nanoTime() + doubled.toNanos(), doubled);
        }

        static Retry first() {
            return new Retry(System.nanoTime() + FIRST_RETRY.toNanos(), FIRST_RETRY);
        }
    }

    SchemaWatch(ReplicationConfig config, DataSource master, DataSource standby) {
        this.config = config;
        this.master = master;
        this.standby = standby;
    }

    /**
     * Before streaming: gives the standby the columns it can take, pauses every table that does not fit it (never
     * refusing to start for one table), and forgets pauses of tables the master no longer has.
     */
    void prepare(Connection m, Connection s, TableSelection selection, PausedTables paused) throws SQLException {
        reconcile(m, s, selection, paused, null);
        current = selection;
    }

    /**
     * Copies each of {@code tables} on its own, as the master has it now; a table a server refuses for its own sake
     * is paused with that server's message, and the others are copied all the same.
     *
     * @throws SQLException a failure that is not one table's (the connection), after the tables before it
     */
    void copyEach(List<Table> tables, PausedTables paused) throws SQLException {
        for (Table table : tables) {
            try {
                FullcopyRound.run(List.of(table), master, standby);
            } catch (SQLException | RuntimeException e) {
                if (!CopyRefusal.test(e)) {
                    throw e;
                }
                refused(paused, Map.of(table.name(), CopyRefusal.message(e)));
            }
        }
    }

    /** Pauses each table a server refused to copy, with its message; a copy of its own is tried later. */
    void refused(PausedTables paused, Map<TableName, String> refused) throws SQLException {
        if (refused.isEmpty()) {
            return;
        }
        try (Connection s = standby.getConnection()) {
            for (Map.Entry<TableName, String> entry : refused.entrySet()) {
                pause(s, paused, entry.getKey(), entry.getKey() + ": " + entry.getValue());
                retries.put(entry.getKey(), Retry.first());
            }
        }
    }

    /** One scheduled fullcopy round: the master's current fullcopy tables that are not paused, each on its own. */
    void fullcopyRound(PausedTables paused) {
        try {
            copyEach(current.fullcopy().stream().filter(t -> !paused.contains(t.name())).toList(), paused);
        } catch (SQLException | RuntimeException e) {
            log.warn("fullcopy failed, next try in {}: {}", HumanDuration.format(config.fullcopyInterval()),
                    CopyRefusal.message(e));
        }
    }

    /**
     * Compares every table, pauses those that stopped fitting, and publishes and copies tables new on the master
     * (or that gained a primary key); tables that lost theirs leave the publication, so the master's UPDATE and
     * DELETE on them keep working.
     */
    void check(Applier applier, PausedTables paused) {
        if (!turn.tryLock()) {
            return;
        }
        try (Connection m = master.getConnection(); Connection s = standby.getConnection()) {
            TableSelection selection = TableSelection.of(TableCatalog.read(m), config).withHeartbeat();
            reconcile(m, s, selection, paused, applier);
            publish(m, selection, paused);
            current = selection;
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot compare the master's tables with the standby's: {}", CopyRefusal.message(e));
        } finally {
            turn.unlock();
        }
    }

    private void reconcile(Connection m, Connection s, TableSelection selection, PausedTables paused,
                           Applier applier) throws SQLException {
        Map<TableName, SchemaMismatch> mismatches = StandbyTables.compare(m, s, selection.all());
        for (Map.Entry<TableName, SchemaMismatch> entry : mismatches.entrySet()) {
            addColumns(s, entry.getValue(), applier);
            if (!entry.getValue().fits()) {
                pause(s, paused, entry.getKey(), entry.getValue().line());
                retries.remove(entry.getKey());
            }
        }
        Set<TableName> selected = new HashSet<>(selection.all().stream().map(Table::name).toList());
        for (TableName table : paused.all().keySet()) {
            if (!selected.contains(table)) {
                paused.resume(s, table);
                retries.remove(table);
                uncaptured.remove(table);
                unreadableWaits.remove(table);
                log.warn("{}: was paused, but the master no longer has it to replicate (dropped, renamed or"
                        + " excluded): forgotten", table);
            }
        }
    }

    private void publish(Connection m, TableSelection selection, PausedTables paused) throws SQLException {
        Set<TableName> published = Set.copyOf(Publication.published(m, config.publication()));
        List<Table> wanted = selection.pushdelta();
        if (published.equals(Set.copyOf(wanted.stream().map(Table::name).toList()))) {
            return;
        }
        Publication.ensure(m, config.publication(), wanted);
        Set<TableName> stays = new HashSet<>(wanted.stream().map(Table::name).toList());
        published.stream().filter(t -> !stays.contains(t)).sorted().forEach(table -> log.warn(
                "{}: no longer streamed (no primary key on master, or not included): copied whole every {}", table,
                HumanDuration.format(config.fullcopyInterval())));
        // Published first, copied after: the copy's snapshot holds every change the stream began after.
        List<Table> added = wanted.stream().filter(t -> !published.contains(t.name()) && !t.equals(Heartbeat.TABLE)
                && !paused.contains(t.name())).toList();
        if (!added.isEmpty()) {
            log.info("new tables to replicate: {}; published, copying them", added.stream().map(Table::name).toList());
            copyEach(added, paused);
        }
    }

    /**
     * Resumes each paused table that fits the standby again: first the stream applies its changes again, then it
     * is copied whole from a fresh snapshot, which holds every change passed over while it was paused. A copy that
     * fails leaves it paused and waits longer each time, so a large table is not copied again every few seconds.
     */
    void resumeFixed(Applier applier, PausedTables paused) {
        Map<TableName, String> all = paused.all();
        if (all.isEmpty() || !turn.tryLock()) {
            return;
        }
        try {
            for (Map.Entry<TableName, String> entry : all.entrySet()) {
                Retry retry = retries.get(entry.getKey());
                if (retry != null && System.nanoTime() - retry.atNanos() < 0) {
                    continue;
                }
                if (uncaptured.remove(entry.getKey())) {
                    // The engine must stream the table again before its fresh copy is taken: the copy's snapshot
                    // then holds every change the stream passed over. Still paused until the copy.
                    log.info("{}: trying to resume: streaming its changes again, then copying it", entry.getKey());
                    captureChanged.set(true);
                    continue;
                }
                resumeIfFixed(entry.getKey(), entry.getValue(), applier, paused);
            }
        } finally {
            turn.unlock();
        }
    }

    private void resumeIfFixed(TableName table, String reason, Applier applier, PausedTables paused) {
        try (Connection m = master.getConnection(); Connection s = standby.getConnection()) {
            Optional<Table> onMaster = TableCatalog.find(m, table)
                    .filter(t -> config.included(t.name().schema(), t.name().name()));
            // Still missing on the standby: nothing to try (the periodic check keeps the reason current).
            if (onMaster.isEmpty() || TableCatalog.find(s, table).isEmpty()) {
                return;
            }
            Optional<SchemaMismatch> mismatch = StandbyTables.compare(m, s, table);
            if (mismatch.isPresent()) {
                addColumns(s, mismatch.get(), applier);
                if (!mismatch.get().fits()) {
                    pause(s, paused, table, mismatch.get().line());
                    return;
                }
            }
            paused.resume(s, table);
            applier.forgetTables();
            try {
                long rows = FullcopyRound.run(List.of(onMaster.get()), master, standby);
                retries.remove(table);
                String again = paused.all().get(table);
                if (again == null) {
                    log.warn("{}: resumed: the standby fits the master again; copied whole from a fresh snapshot"
                            + " ({} rows)", table, rows);
                } else {
                    log.warn("{}: copied again, but the standby refused a change meanwhile: still paused ({})",
                            table, again);
                }
            } catch (SQLException | RuntimeException e) {
                Retry next = retries.containsKey(table) ? retries.get(table).next() : Retry.first();
                retries.put(table, next);
                paused.pause(s, table, table + ": " + CopyRefusal.message(e));
                log.warn("{}: still paused: the fresh copy failed ({}); next try in {}", table, CopyRefusal.message(e),
                        HumanDuration.format(next.delay()));
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("{}: cannot check whether it can resume: {}", table, CopyRefusal.message(e));
        }
    }

    /**
     * The standby refused a change of one table (on the engine's thread): gives the standby the columns it can
     * take and lets the change be applied again, or pauses the table, with the fix when the definitions differ and
     * with the standby's own message when they agree. Either way the same change does not fail the same way twice.
     */
    void handle(SchemaDriftException drift, Connection applyConnection, Applier applier, PausedTables paused) {
        TableName table = drift.table();
        try (Connection m = master.getConnection(); Connection s = standby.getConnection()) {
            Optional<SchemaMismatch> mismatch = StandbyTables.compare(m, s, table);
            if (mismatch.isPresent()) {
                boolean added = addColumns(applyConnection, mismatch.get(), applier);
                if (!mismatch.get().fits()) {
                    pause(s, paused, table, mismatch.get().line());
                    retries.remove(table);
                    return;
                }
                if (added) {
                    return;
                }
            }
            if (mismatch.isEmpty() && drift.standbyOnlyColumn().isPresent()) {
                // Both servers have the column: these changes were written on the master before it was added.
                applier.allowColumnsAbsentFromChanges(table);
                return;
            }
            // The column may have been added on the standby since the applier last looked.
            if (drift.missingColumn().isPresent() && TableCatalog.find(s, table).map(t -> t.columns().stream()
                    .anyMatch(c -> c.name().equals(drift.missingColumn().get()))).orElse(false)) {
                applier.forgetTables();
                return;
            }
            pause(s, paused, table, drift.getMessage());
            retries.put(table, Retry.first());
        } catch (SQLException e) {
            throw new io.lifeboat.core.error.LifeboatException("cannot handle " + drift.getMessage() + " ("
                    + CopyRefusal.message(e) + ")", e);
        }
    }

    /**
     * Pauses the table of a change Debezium cannot read (the engine is stopped): the engine passes over its changes
     * from its next start, and the others go on. It resumes from a fresh copy after a wait that doubles each time
     * one of its changes cannot be read again.
     */
    void pauseUnreadable(UnreadableChange change, PausedTables paused) throws SQLException {
        Duration last = unreadableWaits.get(change.table());
        Duration wait = last == null ? FIRST_RETRY
                : last.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : last.multipliedBy(2);
        unreadableWaits.put(change.table(), wait);
        try (Connection s = standby.getConnection()) {
            pause(s, paused, change.table(), change.reason());
        }
        retries.put(change.table(), new Retry(System.nanoTime() + wait.toNanos(), wait));
        uncaptured.add(change.table());
    }

    /** Tables the engine passes over. */
    Set<TableName> uncaptured() {
        return Set.copyOf(uncaptured);
    }

    /** Whether the engine must start again with another {@link #uncaptured()} set; true once per change. */
    boolean takeCaptureChanged() {
        return captureChanged.getAndSet(false);
    }

    /** @return whether any column was added */
    private static boolean addColumns(Connection s, SchemaMismatch mismatch, Applier applier) throws SQLException {
        List<String> added = StandbyTables.addColumns(s, mismatch);
        for (String column : added) {
            log.warn("{}: added column {} on standby (added on master as nullable, without a default)",
                    mismatch.table(), column);
        }
        if (!added.isEmpty() && applier != null) {
            applier.forgetTables();
        }
        return !added.isEmpty();
    }

    /** Pauses the table with {@code reason}, logging it once; a table already paused for it stays as it is. */
    private static void pause(Connection s, PausedTables paused, TableName table, String reason)
            throws SQLException {
        if (reason.equals(paused.all().get(table))) {
            return;
        }
        paused.pause(s, table, reason);
        log.error("{}; the table is paused, the others go on", reason);
    }
}
