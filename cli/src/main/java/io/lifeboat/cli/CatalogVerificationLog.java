package io.lifeboat.cli;

import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.cycle.Verification;
import io.lifeboat.snapshotter.verify.VerificationLog;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records verifications in the standby's catalog. The catalog is a cache of what the snapshot store says, so an
 * unreachable standby costs a warning, not the verification.
 */
public final class CatalogVerificationLog implements VerificationLog {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogVerificationLog.class);

    private final DataSource standby;

    public CatalogVerificationLog(DataSource standby) {
        this.standby = standby;
    }

    @Override
    public void record(StoredSnapshot snapshot, Verification verification) {
        try (Connection connection = standby.getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO lifeboat.snapshot_verification"
                     + " (snapshot, checked_at, outcome, reason, duration_ms) VALUES (?, ?, ?, ?, ?)")) {
            insert.setString(1, snapshot.name().complete());
            insert.setTimestamp(2, Timestamp.from(Instant.parse(verification.checkedAt())));
            insert.setString(3, verification.outcome());
            insert.setString(4, verification.reason());
            insert.setLong(5, verification.durationMillis());
            insert.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("snapshot {}: verification not recorded in the catalog ({}); it is kept beside the snapshot",
                    snapshot.name(), e.getMessage());
        }
    }
}
