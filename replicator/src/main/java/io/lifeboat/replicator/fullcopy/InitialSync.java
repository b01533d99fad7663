package io.lifeboat.replicator.fullcopy;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.setup.ReplicationSlot.ExportedSnapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies every replicated table in the snapshot a new slot exported, and records the slot's start point, all in one
 * standby transaction. Streaming then starts at exactly that point: no row lost, none doubled, while the master
 * keeps taking writes.
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
            long rows = copyAll(tables, master, standby);
            AppliedPosition.reset(standby, slot, snapshot.consistentPoint());
            standby.commit();
            master.commit();
            result = new Result(tables.size(), rows, snapshot.consistentPoint(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (SQLException | RuntimeException e) {
            AfterFailure.run(e, standby::rollback, master::rollback, () -> master.setAutoCommit(true),
                    () -> standby.setAutoCommit(true));
            throw e;
        }
        master.setAutoCommit(true);
        standby.setAutoCommit(true);
        return result;
    }

    /**
     * Copies every table in one standby transaction, its locks taken up front. Should the deadlock detector still
     * pick this transaction, it starts over: the master's transaction holds the same snapshot throughout.
     */
    private static long copyAll(List<Table> tables, Connection master, Connection standby) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                StandbyLocks.lockAll(standby, tables.stream().map(Table::name).toList());
                long rows = 0;
                for (Table table : tables) {
                    long copied = TableCopier.replace(table, master, standby);
                    log.info("initial sync: {} copied ({} rows)", table.name(), copied);
                    rows += copied;
                }
                return rows;
            } catch (SQLException e) {
                if (!StandbyLocks.isDeadlock(e) || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                standby.rollback();
                log.warn("initial sync was chosen as a deadlock victim on the standby; copying again");
            }
        }
    }

    /** What one initial sync copied, and the master point the standby now holds. */
    public record Result(int tables, long rows, Lsn position, long millis) {
    }
}
