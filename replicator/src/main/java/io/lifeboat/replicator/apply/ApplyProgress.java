package io.lifeboat.replicator.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells {@code sync status} how far a large master transaction has got: nobody can see into the applier's open
 * standby transaction, so the count goes to {@code lifeboat.apply_progress} through a connection of its own, at most
 * every few seconds. Reporting is best effort: a failure here never stops the apply.
 */
public final class ApplyProgress implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApplyProgress.class);
    private static final Duration EVERY = Duration.ofSeconds(2);

    private final DataSource standby;
    private final String slot;
    private Connection connection;
    private long lastReport;
    private Instant started;
    private boolean reported;

    public ApplyProgress(DataSource standby, String slot) {
        this.standby = standby;
        this.slot = slot;
    }

    /** A large transaction began. */
    public void begin() {
        started = Instant.now();
        lastReport = System.nanoTime();
    }

    /** Rows applied so far in the open large transaction; written when the last report is old enough. */
    public void applied(long transactionId, long rows) {
        long now = System.nanoTime();
        if (now - lastReport < EVERY.toNanos()) {
            return;
        }
        lastReport = now;
        write("""
                insert into lifeboat.apply_progress as p (slot_name, transaction_id, rows_applied, started_at, updated_at)
                values (?, ?, ?, ?, now())
                on conflict (slot_name) do update set transaction_id = excluded.transaction_id,
                    rows_applied = excluded.rows_applied, started_at = excluded.started_at, updated_at = now()
                """, statement -> {
            statement.setString(1, slot);
            statement.setLong(2, transactionId);
            statement.setLong(3, rows);
            statement.setObject(4, java.sql.Timestamp.from(started));
        });
        reported = true;
        log.info("transaction {} in progress: {} rows applied so far", transactionId, rows);
    }

    /** The large transaction ended (committed, passed over or rolled back). */
    public void end() {
        if (reported) {
            write("delete from lifeboat.apply_progress where slot_name = ?", statement -> statement.setString(1, slot));
            reported = false;
        }
    }

    private void write(String sql, Binder binder) {
        try {
            if (connection == null || connection.isClosed()) {
                connection = standby.getConnection();
                connection.setAutoCommit(true);
            }
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                binder.bind(statement);
                statement.executeUpdate();
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("cannot report apply progress: {}", e.getMessage());
            close();
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the progress connection", e);
            }
            connection = null;
        }
    }

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }
}
