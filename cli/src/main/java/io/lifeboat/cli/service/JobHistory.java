package io.lifeboat.cli.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's runs in the catalog's {@code lifeboat.job}: a row per attempt, {@code running} until it ends
 * {@code succeeded} or {@code failed}, with a JSON detail ({@code message}, and {@code error} for a failure). The
 * catalog is on the standby: when it cannot be written the job still runs, and the log says what was not recorded.
 */
final class JobHistory {
    private static final Logger log = LoggerFactory.getLogger(JobHistory.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource catalog;

    JobHistory(DataSource catalog) {
        this.catalog = catalog;
    }

    /** A new running row; empty when the catalog cannot be written. */
    OptionalLong begin(String kind) {
        try (Connection c = catalog.getConnection(); PreparedStatement insert = c.prepareStatement(
                "insert into lifeboat.job (kind) values (?) returning id")) {
            insert.setString(1, kind);
            try (ResultSet row = insert.executeQuery()) {
                row.next();
                return OptionalLong.of(row.getLong(1));
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot record the start of {} in the catalog ({})", kind, e.getMessage());
            return OptionalLong.empty();
        }
    }

    void succeed(OptionalLong id, Map<String, Object> detail) {
        end(id, "succeeded", detail);
    }

    void fail(OptionalLong id, Map<String, Object> detail) {
        end(id, "failed", detail);
    }

    private void end(OptionalLong id, String state, Map<String, Object> detail) {
        if (id.isEmpty()) {
            return;
        }
        try (Connection c = catalog.getConnection(); PreparedStatement update = c.prepareStatement(
                "update lifeboat.job set state = ?, ended_at = now(), detail = ?::jsonb where id = ? and state = 'running'")) {
            update.setString(1, state);
            update.setString(2, json(detail));
            update.setLong(3, id.getAsLong());
            update.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot record the end of job {} in the catalog ({})", id.getAsLong(), e.getMessage());
        }
    }

    /** When a run of {@code kind} last succeeded: what a daily or nightly job counts from after a restart. */
    Optional<Instant> lastSuccess(String kind) {
        try (Connection c = catalog.getConnection(); PreparedStatement select = c.prepareStatement(
                "select max(started_at) from lifeboat.job where kind = ? and state = 'succeeded'")) {
            select.setString(1, kind);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                Timestamp at = row.getTimestamp(1);
                return Optional.ofNullable(at).map(Timestamp::toInstant);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot read when {} last succeeded from the catalog ({})", kind, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Rows a killed service left running: they ended when it did. Called with the service lock held, so no other
     * service's rows are touched; rows of one-off commands ({@code sync}, {@code recover}) are not the service's.
     */
    int endAbandoned() {
        try (Connection c = catalog.getConnection(); PreparedStatement update = c.prepareStatement("""
                update lifeboat.job set state = 'failed', ended_at = now(),
                       detail = detail || jsonb_build_object('message', kind || ' did not finish',
                                                            'error', 'the service stopped while it ran (killed?)')
                where state = 'running' and kind in ('snapshot', 'archive', 'validate', 'copy', 'prune', 'dry-run')
                """)) {
            return update.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            log.warn("cannot close the job rows an earlier run left open ({})", e.getMessage());
            return 0;
        }
    }

    static String json(Map<String, Object> detail) {
        try {
            return JSON.writeValueAsString(detail);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job detail is not JSON: " + e.getMessage(), e);
        }
    }
}
