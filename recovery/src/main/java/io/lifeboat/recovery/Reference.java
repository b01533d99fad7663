package io.lifeboat.recovery;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.recovery.sql.JdbcConsole;
import io.lifeboat.recovery.sql.SqlConsole;
import io.lifeboat.recovery.verify.ScratchServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The newest master position Lifeboat knows, which every candidate's loss is measured against: what the standby's
 * catalog says the master had reached (its applied position and the master's clock at the last replicated heartbeat),
 * or whatever newer position a source itself holds. Without the catalog, the newest source's own position is used,
 * and the report says so.
 *
 * @param source where the position came from, for the report
 */
public record Reference(Position position, String source) {

    /** What the standby's catalog says, if the standby answers. */
    static Reference fromCatalog(RecoveryContext context) {
        try (Connection connection = context.standby().getConnection()) {
            SqlConsole console = new JdbcConsole(connection, "standby " + context.config().standby().address());
            if (!console.hasTable("lifeboat.applied_position")) {
                return new Reference(Position.UNKNOWN, "no catalog on the standby");
            }
            List<List<String>> rows = console.rows("SELECT lsn::text, (extract(epoch FROM applied_at) * 1000)::bigint"
                    + " FROM lifeboat.applied_position WHERE slot_name = "
                    + SqlConsole.literal(context.config().replication().slot()));
            Optional<Lsn> lsn = rows.isEmpty() ? Optional.empty() : Optional.of(Lsn.parse(rows.get(0).get(0)));
            Optional<Instant> time = ScratchServer.heartbeat(console).or(() -> rows.isEmpty() ? Optional.empty()
                    : Optional.of(Instant.ofEpochMilli(Long.parseLong(rows.get(0).get(1)))));
            Position applied = new Position(lsn, time);
            // sync run copies the master's own position here every second, ahead of what the standby has applied.
            if (console.hasTable("lifeboat.master_position")) {
                List<List<String>> seen = console.rows("SELECT lsn::text, (extract(epoch FROM seen_at) * 1000)::bigint"
                        + " FROM lifeboat.master_position WHERE slot_name = "
                        + SqlConsole.literal(context.config().replication().slot()));
                if (!seen.isEmpty()) {
                    return new Reference(applied.newest(Position.of(Lsn.parse(seen.get(0).get(0)),
                            Instant.ofEpochMilli(Long.parseLong(seen.get(0).get(1))))),
                            "the master's position recorded in the standby's catalog");
                }
            }
            return new Reference(applied, "the standby's catalog");
        } catch (SQLException | LifeboatException e) {
            return new Reference(Position.UNKNOWN, "the catalog is unreachable (" + e.getMessage() + ")");
        }
    }

    /** This reference moved up to {@code seen} where a source holds more. */
    Reference including(Position seen) {
        Position newest = position.newest(seen);
        if (newest.equals(position)) {
            return this;
        }
        String by = position.lsn().isEmpty() && position.time().isEmpty()
                ? source + "; the newest source's own position" : source + ", or a newer source";
        return new Reference(newest, source.endsWith("or a newer source") || source.endsWith("own position")
                ? source : by);
    }
}
