package io.lifeboat.replicator.status;

import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.apply.PausedTables;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.setup.TableSelection;
import io.lifeboat.replicator.status.ReplicationStatus.InProgress;
import io.lifeboat.replicator.status.ReplicationStatus.LastValidation;
import io.lifeboat.replicator.status.ReplicationStatus.TableStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the standby can tell about replication, from Lifeboat's catalog there: the applied position, the newest
 * heartbeat, paused tables, a transaction being applied, the last validation, and the rows of each table.
 *
 * @param ownSelection the replicated tables as the standby's own catalog has them: the table list when the master
 *                     cannot say
 */
record StandbySide(
        Optional<Lsn> applied,
        Optional<Instant> appliedAt,
        Optional<Instant> heartbeatAt,
        Optional<Duration> heartbeatAge,
        Map<String, String> paused,
        Optional<InProgress> inProgress,
        Optional<LastValidation> lastValidation,
        Map<String, Long> rows,
        TableSelection ownSelection) {

    /** A progress report older than this is left over from a stopped run, not a transaction being applied. */
    static final Duration PROGRESS_FRESH = Duration.ofMinutes(1);
    private static final String ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

    /** Reads the standby; {@code selection} are the tables whose rows to count (the master's, when it answered). */
    static StandbySide read(Connection standby, ReplicationConfig config, Optional<TableSelection> selection)
            throws SQLException {
        boolean catalog = "true".equals(StatusReader.single(standby, "select (to_regclass('lifeboat.applied_position')"
                + " is not null and to_regclass('lifeboat.paused_table') is not null)::text"));
        Optional<Lsn> applied = catalog ? AppliedPosition.read(standby, config.slot()) : Optional.empty();
        Optional<Instant> appliedAt = Optional.empty();
        Optional<Instant> heartbeatAt = Optional.empty();
        Optional<Duration> heartbeatAge = Optional.empty();
        if (applied.isPresent()) {
            appliedAt = Optional.ofNullable(StatusReader.single(standby, "select to_char(applied_at at time zone 'UTC', "
                    + ISO + ") from lifeboat.applied_position where slot_name = '" + config.slot().replace("'", "''")
                    + "'")).map(Instant::parse);
            try (Statement statement = standby.createStatement(); ResultSet row = statement.executeQuery(
                    "select to_char(beat_at at time zone 'UTC', " + ISO + "),"
                            + " (extract(epoch from clock_timestamp() - beat_at) * 1000)::bigint from lifeboat.heartbeat")) {
                if (row.next()) {
                    heartbeatAt = Optional.of(Instant.parse(row.getString(1)));
                    heartbeatAge = Optional.of(Duration.ofMillis(Math.max(0, row.getLong(2))));
                }
            }
        }
        Map<String, String> paused = catalog ? PausedTables.read(standby) : Map.of();
        TableSelection own = TableSelection.of(TableCatalog.read(standby), config);
        Map<String, Long> rows = new LinkedHashMap<>();
        for (Table table : selection.orElse(own).all()) {
            rows.put(table.name().toString(), rows(standby, table));
        }
        return new StandbySide(applied, appliedAt, heartbeatAt, heartbeatAge, paused, inProgress(standby, config),
                lastValidation(standby), rows, own);
    }

    /** The applier's report of a large transaction it is applying; written only while one is under way. */
    private static Optional<InProgress> inProgress(Connection standby, ReplicationConfig config) throws SQLException {
        if (!"true".equals(StatusReader.single(standby,
                "select (to_regclass('lifeboat.apply_progress') is not null)::text"))) {
            return Optional.empty();
        }
        try (PreparedStatement statement = standby.prepareStatement(
                "select transaction_id, rows_applied, to_char(started_at at time zone 'UTC', " + ISO + "),"
                        + " to_char(updated_at at time zone 'UTC', " + ISO + "),"
                        + " (extract(epoch from clock_timestamp() - started_at) * 1000)::bigint"
                        + " from lifeboat.apply_progress"
                        + " where slot_name = ? and updated_at > clock_timestamp() - ?::interval")) {
            statement.setString(1, config.slot());
            statement.setString(2, PROGRESS_FRESH.toSeconds() + " seconds");
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                long id = row.getLong(1);
                Optional<Long> transaction = row.wasNull() ? Optional.empty() : Optional.of(id);
                return Optional.of(new InProgress(transaction, row.getLong(2), Instant.parse(row.getString(3)),
                        Instant.parse(row.getString(4)), Duration.ofMillis(Math.max(0, row.getLong(5)))));
            }
        }
    }

    private static Optional<LastValidation> lastValidation(Connection standby) throws SQLException {
        if (!"true".equals(StatusReader.single(standby,
                "select (to_regclass('lifeboat.validation') is not null)::text"))) {
            return Optional.empty();
        }
        try (Statement statement = standby.createStatement(); ResultSet row = statement.executeQuery(
                "select to_char(started_at at time zone 'UTC', " + ISO + "), tables, out_of_sync,"
                        + " (select to_char(max(started_at) at time zone 'UTC', " + ISO + ") from lifeboat.validation"
                        + " where out_of_sync = 0)"
                        + " from lifeboat.validation order by started_at desc limit 1")) {
            if (!row.next()) {
                return Optional.empty();
            }
            return Optional.of(new LastValidation(Instant.parse(row.getString(1)), row.getInt(2),
                    row.getInt(3), Optional.ofNullable(row.getString(4)).map(Instant::parse)));
        }
    }

    /** Exact for small tables; the planner's estimate above a million rows, where counting would be slow. */
    private static long rows(Connection standby, Table table) throws SQLException {
        String estimate = StatusReader.single(standby, "select reltuples::bigint from pg_class where oid = to_regclass('"
                + table.name().quoted().replace("'", "''") + "')");
        if (estimate == null) {
            return TableStatus.MISSING;
        }
        if (Long.parseLong(estimate) > 1_000_000) {
            return Long.parseLong(estimate);
        }
        return Long.parseLong(StatusReader.single(standby, "select count(*) from " + table.name().quoted()));
    }

    List<String> pausedProblems() {
        // Reasons start with the table's name as every message does; once in front is enough.
        return paused.entrySet().stream().map(e -> e.getKey() + " paused: " + (e.getValue().startsWith(e.getKey() + ": ")
                ? e.getValue().substring(e.getKey().length() + 2) : e.getValue())).toList();
    }
}
