package io.lifeboat.replicator.fullcopy;

import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the locks a copy of several tables needs on the standby, all before the copy starts and never while
 * holding some of them: a reader that holds one of the tables and then asks for another would otherwise deadlock
 * with the copy, and the deadlock detector may pick the reader. Each try asks for all of them without waiting;
 * one that cannot be had gives back everything, and the next try comes a moment later.
 */
final class StandbyLocks {
    private static final Logger log = LoggerFactory.getLogger(StandbyLocks.class);
    private static final Duration TRY_FOR = Duration.ofSeconds(60);

    private StandbyLocks() {
    }

    /**
     * Locks every table in access exclusive mode inside the caller's transaction. After {@link #TRY_FOR} of readers
     * always in the way, it waits in line in name order; should the copy then be a deadlock's victim, the caller
     * starts its transaction over ({@link #isDeadlock}).
     */
    static void lockAll(Connection standby, List<TableName> tables) throws SQLException {
        if (tables.size() < 2) {
            return;
        }
        String list = tables.stream().sorted().map(t -> "only " + t.quoted()).collect(Collectors.joining(", "));
        long deadline = System.nanoTime() + TRY_FOR.toNanos();
        long pause = 20;
        try (Statement statement = standby.createStatement()) {
            while (System.nanoTime() < deadline) {
                Savepoint before = standby.setSavepoint();
                try {
                    statement.execute("lock table " + list + " in access exclusive mode nowait");
                    standby.releaseSavepoint(before);
                    return;
                } catch (SQLException e) {
                    if (!"55P03".equals(e.getSQLState())) {
                        throw e;
                    }
                    standby.rollback(before);
                }
                sleep(pause + (long) (Math.random() * pause));
                pause = Math.min(pause * 2, 1000);
            }
            log.warn("readers of the standby kept {} tables busy for {} s; waiting in line for them", tables.size(),
                    TRY_FOR.toSeconds());
            statement.execute("lock table " + list + " in access exclusive mode");
        }
    }

    static boolean isDeadlock(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "40P01".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long millis) throws SQLException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for locks on the standby", "57014", e);
        }
    }
}
