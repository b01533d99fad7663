package io.lifeboat.replicator.status;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.apply.PausedTables;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.setup.Publication;
import io.lifeboat.replicator.setup.ReplicationSlot;
import io.lifeboat.replicator.setup.StandbyTables;
import io.lifeboat.replicator.setup.TableSelection;
import io.lifeboat.replicator.status.ReplicationStatus.Health;
import io.lifeboat.replicator.status.ReplicationStatus.TableStatus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the state of replication from master and standby, without changing either. */
public final class StatusReader {
    /** Lag beyond these is a warning, and critical: the standby is too far behind to be a fresh recovery source. */
    public static final Duration LAG_WARNING = Duration.ofSeconds(30);
    public static final Duration LAG_CRITICAL = Duration.ofMinutes(5);

    private StatusReader() {
    }

    public static ReplicationStatus read(ReplicationConfig config, Connection master, Connection standby)
            throws SQLException {
        List<String> warnings = new ArrayList<>();
        List<String> critical = new ArrayList<>();
        Optional<ReplicationSlot.SlotState> slot = ReplicationSlot.state(master, config.slot());
        Lsn masterPosition = Lsn.parse(single(master, "select pg_current_wal_lsn()::text"));
        Optional<Lsn> applied = hasCatalog(standby) ? AppliedPosition.read(standby, config.slot()) : Optional.empty();
        Optional<Instant> appliedAt = Optional.empty();
        Optional<Duration> lag = Optional.empty();
        if (applied.isPresent()) {
            appliedAt = Optional.ofNullable(single(standby, "select to_char(applied_at at time zone 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from lifeboat.applied_position where slot_name = '"
                    + config.slot().replace("'", "''") + "'")).map(Instant::parse);
            lag = Optional.ofNullable(single(standby,
                    "select extract(epoch from clock_timestamp() - beat_at)::numeric(20,3) from lifeboat.heartbeat"))
                    .map(seconds -> Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(seconds) * 1000))));
        }
        if (slot.isEmpty()) {
            critical.add("no slot " + config.slot() + " on master: replication has not started (run sync run)");
        } else if (slot.get().lost()) {
            critical.add("slot " + config.slot() + " is lost: the master removed WAL it needed; sync run recopies");
        } else {
            if (!slot.get().active()) {
                warnings.add("slot " + config.slot() + " is not in use: is sync run running?");
            }
            DataSize retained = DataSize.ofBytes(slot.get().retainedWalBytes());
            if (retained.compareTo(config.retainedWalWarning()) > 0) {
                warnings.add("slot " + config.slot() + " retains " + retained.approximate() + " of WAL on master"
                        + " (warning at " + config.retainedWalWarning() + ")");
            }
        }
        if (applied.isEmpty()) {
            critical.add("the standby has no applied position: the initial sync has not completed");
        }
        if (lag.isPresent()) {
            if (lag.get().compareTo(LAG_CRITICAL) > 0) {
                critical.add("lag " + HumanDuration.format(lag.get()) + " is over " + HumanDuration.format(LAG_CRITICAL));
            } else if (lag.get().compareTo(LAG_WARNING) > 0) {
                warnings.add("lag " + HumanDuration.format(lag.get()) + " is over " + HumanDuration.format(LAG_WARNING));
            }
        }
        List<TableStatus> tables = new ArrayList<>();
        TableSelection selection = TableSelection.of(TableCatalog.read(master), config);
        java.util.Map<String, String> paused = hasCatalog(standby) ? PausedTables.read(standby) : java.util.Map.of();
        paused.forEach((table, reason) -> warnings.add(table + " paused: "
                + (reason.startsWith(table + ": ") ? reason.substring(table.length() + 2) : reason)));
        // Tables sync run has not paused (it is not running, or has not looked yet) that it cannot replicate.
        java.util.Map<String, String> unreplicated = new java.util.HashMap<>();
        StandbyTables.unreplicated(master, standby, selection, slot.isPresent()
                ? Optional.of(Publication.published(master, config.publication())) : Optional.empty())
                .forEach((table, reason) -> unreplicated.put(table.toString(), reason));
        unreplicated.keySet().removeAll(paused.keySet());
        unreplicated.values().forEach(warnings::add);
        java.util.Set<Table> streamed = java.util.Set.copyOf(selection.pushdelta());
        for (Table table : selection.all()) {
            String name = table.name().toString();
            long rows = rows(standby, table);
            boolean pushdelta = streamed.contains(table);
            // A paused table the standby does not have was never replicated: say so, not "paused".
            String state = unreplicated.containsKey(name) || (paused.containsKey(name) && rows < 0) ? "not replicated"
                    : paused.containsKey(name) ? "paused" : pushdelta ? "streaming" : "copied";
            tables.add(new TableStatus(name, pushdelta ? "pushdelta" : "fullcopy", state, rows));
        }
        Health health = !critical.isEmpty() ? Health.CRITICAL : !warnings.isEmpty() ? Health.WARNING : Health.HEALTHY;
        List<String> problems = new ArrayList<>(critical);
        problems.addAll(warnings);
        return new ReplicationStatus(health, problems, applied, appliedAt, lag, masterPosition, slot, tables,
                lastValidation(standby));
    }

    private static Optional<ReplicationStatus.LastValidation> lastValidation(Connection standby) throws SQLException {
        if (!"true".equals(single(standby, "select (to_regclass('lifeboat.validation') is not null)::text"))) {
            return Optional.empty();
        }
        String iso = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
        try (Statement statement = standby.createStatement(); ResultSet row = statement.executeQuery(
                "select to_char(started_at at time zone 'UTC', " + iso + "), tables, out_of_sync,"
                        + " (select to_char(max(started_at) at time zone 'UTC', " + iso + ") from lifeboat.validation"
                        + " where out_of_sync = 0)"
                        + " from lifeboat.validation order by started_at desc limit 1")) {
            if (!row.next()) {
                return Optional.empty();
            }
            return Optional.of(new ReplicationStatus.LastValidation(Instant.parse(row.getString(1)), row.getInt(2),
                    row.getInt(3), Optional.ofNullable(row.getString(4)).map(Instant::parse)));
        }
    }

    private static boolean hasCatalog(Connection standby) throws SQLException {
        return "true".equals(single(standby, "select (to_regclass('lifeboat.applied_position') is not null"
                + " and to_regclass('lifeboat.paused_table') is not null)::text"));
    }

    /** Exact for small tables; the planner's estimate above a million rows, where counting would be slow. */
    private static long rows(Connection standby, Table table) throws SQLException {
        String estimate = single(standby, "select reltuples::bigint from pg_class where oid = to_regclass('"
                + table.name().quoted().replace("'", "''") + "')");
        if (estimate == null) {
            return -1;
        }
        if (Long.parseLong(estimate) > 1_000_000) {
            return Long.parseLong(estimate);
        }
        return Long.parseLong(single(standby, "select count(*) from " + table.name().quoted()));
    }

    private static String single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
