package io.lifeboat.replicator.fullcopy;

import io.lifeboat.core.progress.Progress;
import io.lifeboat.replicator.schema.Table;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies each fullcopy table whole, master → standby, one standby transaction per table (truncate + COPY), so
 * readers of the standby see the old copy or the new one, never an empty or half table.
 */
public final class FullcopyRound {
    private static final Logger log = LoggerFactory.getLogger(FullcopyRound.class);

    private FullcopyRound() {
    }

    /** @return the rows copied */
    public static long run(List<Table> tables, DataSource master, DataSource standby) throws SQLException {
        return run("fullcopy", tables, master, standby);
    }

    /**
     * @param task what the copy is called in its progress, e.g. {@code resync}: each table shows its rows copied
     *             of the planner's estimate
     * @return the rows copied
     */
    public static long run(String task, List<Table> tables, DataSource master, DataSource standby)
            throws SQLException {
        long rows = 0;
        for (Table table : tables) {
            long start = System.nanoTime();
            try (Connection from = master.getConnection(); Connection to = standby.getConnection()) {
                from.setAutoCommit(false);
                from.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                from.setReadOnly(true);
                to.setAutoCommit(false);
                try (Progress progress = Progress.start(task + " " + table.name(), Progress.Unit.ROWS,
                        TableCopier.estimatedRows(from, table))) {
                    long copied = TableCopier.replace(table, from, to, progress::step);
                    to.commit();
                    from.commit();
                    rows += copied;
                    log.info("fullcopy: {} copied ({} rows in {} ms)", table.name(), copied,
                            (System.nanoTime() - start) / 1_000_000);
                } catch (SQLException | RuntimeException e) {
                    AfterFailure.run(e, to::rollback, from::rollback);
                    throw e;
                }
            }
        }
        return rows;
    }
}
