package io.lifeboat.replicator.fullcopy;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.progress.Progress;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.replicator.setup.ReplicationSlot.ExportedSnapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies every replicated table in the snapshot a new slot exported, and records the slot's start point, all in one
 * standby transaction. Streaming then starts at exactly that point: no row lost, none doubled, while the master
 * keeps taking writes. A table a server refuses for its own sake ({@link CopyRefusal}) is rolled back alone and
 * reported, so one table never stops the others; the caller pauses it until a copy of its own succeeds.
 */
public final class InitialSync {
    private static final Logger log = LoggerFactory.getLogger(InitialSync.class);

    private static final int MAX_ATTEMPTS = 3;

    private InitialSync() {
    }

    public static Result run(ExportedSnapshot snapshot, List<Table> tables, String slot, Connection master,
                             Connection standby) throws SQLException {
        long start = System.nanoTime();
        master.setAutoCommit(false);
        master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        standby.setAutoCommit(false);
        Result result;
        try {
            try (Statement statement = master.createStatement()) {
                statement.execute("set transaction snapshot '" + snapshot.snapshotName().replace("'", "''") + "'");
            }
            // The import holds the snapshot from here on; the slot's connection is no longer needed.
            snapshot.close();
            lockAll(tables, standby);
            long rows = 0;
            Map<TableName, String> refused = new LinkedHashMap<>();
            // One total for the whole sync: the planner's estimates, a table's rows counted as they are copied.
            try (Progress progress = Progress.start("initial sync", Progress.Unit.ROWS,
                    estimatedRows(tables, master))) {
                for (Table table : tables) {
                    // Savepoints on both sides: a refused table is undone alone, and the master keeps its snapshot.
                    Savepoint masterBefore = master.setSavepoint();
                    Savepoint standbyBefore = standby.setSavepoint();
                    try {
                        long copied = TableCopier.replace(table, master, standby, progress::step);
                        master.releaseSavepoint(masterBefore);
                        standby.releaseSavepoint(standbyBefore);
                        log.info("initial sync: {} copied ({} rows)", table.name(), copied);
                        rows += copied;
                    } catch (SQLException | RuntimeException e) {
                        if (!CopyRefusal.test(e)) {
                            throw e;
                        }
                        master.rollback(masterBefore);
                        standby.rollback(standbyBefore);
                        refused.put(table.name(), CopyRefusal.message(e));
                    }
                }
            }
            AppliedPosition.reset(standby, slot, snapshot.consistentPoint());
            standby.commit();
            master.commit();
            result = new Result(tables.size() - refused.size(), rows, snapshot.consistentPoint(),
                    (System.nanoTime() - start) / 1_000_000, Map.copyOf(refused));
        } catch (SQLException | RuntimeException e) {
            AfterFailure.run(e, standby::rollback, master::rollback, () -> master.setAutoCommit(true),
                    () -> standby.setAutoCommit(true));
            throw e;
        }
        master.setAutoCommit(true);
        standby.setAutoCommit(true);
        return result;
    }

    /** The planner's estimate of all the tables' rows, for the progress total; -1 when a table has none. */
    private static long estimatedRows(List<Table> tables, Connection master) throws SQLException {
        long total = 0;
        for (Table table : tables) {
            long rows = TableCopier.estimatedRows(master, table);
            if (rows < 0) {
                return -1;
            }
            total += rows;
        }
        return total;
    }

    /**
     * Takes every table's standby lock up front, so a reader never deadlocks with the copy. Should the deadlock
     * detector still pick this transaction (after waiting in line), it starts over: nothing is copied yet.
     */
    private static void lockAll(List<Table> tables, Connection standby) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                StandbyLocks.lockAll(standby, tables.stream().map(Table::name).toList());
                return;
            } catch (SQLException e) {
                if (!StandbyLocks.isDeadlock(e) || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                standby.rollback();
                log.warn("initial sync was chosen as a deadlock victim on the standby; locking again");
            }
        }
    }

    /**
     * What one initial sync copied, and the master point the standby now holds.
     *
     * @param refused the tables not copied, with the server's message
     */
    public record Result(int tables, long rows, Lsn position, long millis, Map<TableName, String> refused) {
    }
}
