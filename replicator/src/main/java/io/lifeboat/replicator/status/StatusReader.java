package io.lifeboat.replicator.status;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.db.TransientFailure;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.setup.Publication;
import io.lifeboat.replicator.setup.StandbyTables;
import io.lifeboat.replicator.setup.TableSelection;
import io.lifeboat.replicator.status.ReplicationStatus.Health;
import io.lifeboat.replicator.status.ReplicationStatus.TableStatus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the state of replication from master and standby, without changing either. Each server is read on its own:
 * when one cannot be reached, the status holds what the other can tell and one line saying why the first is missing,
 * because that is exactly when an operator needs it (the master down: how much the standby has, and since when
 * data is at risk).
 */
public final class StatusReader {
    /** Lag beyond these is a warning, and critical: the standby is too far behind to be a fresh recovery source. */
    public static final Duration LAG_WARNING = Duration.ofSeconds(30);
    public static final Duration LAG_CRITICAL = Duration.ofMinutes(5);

    /** A way to reach one server; it throws a {@link LifeboatException} naming the server when it cannot. */
    @FunctionalInterface
    public interface Server {
        Connection connect() throws SQLException;
    }

    private StatusReader() {
    }

    /** Both servers already connected (the demo); a failure to read either one is thrown. */
    public static ReplicationStatus read(ReplicationConfig config, Connection master, Connection standby)
            throws SQLException {
        MasterSide masterSide = MasterSide.read(master, config);
        StandbySide standbySide = StandbySide.read(standby, config, Optional.of(masterSide.selection()));
        return assemble(config, new Read<>(Optional.of(masterSide), Optional.empty()),
                new Read<>(Optional.of(standbySide), Optional.empty()),
                unreplicated(config, masterSide, master, standby));
    }

    /**
     * Reads what each server answers; a server that cannot be reached (or is lost while being read) becomes one
     * {@code master unreachable: …} line and a critical status. Any other failure is thrown.
     */
    public static ReplicationStatus read(ReplicationConfig config, Server master, Server standby) throws SQLException {
        Read<MasterSide> masterSide = attempt("master", master, connection -> MasterSide.read(connection, config));
        Optional<TableSelection> selection = masterSide.value().map(MasterSide::selection);
        Read<StandbySide> standbySide = attempt("standby", standby,
                connection -> StandbySide.read(connection, config, selection));
        Map<String, String> unreplicated = Map.of();
        if (masterSide.value().isPresent() && standbySide.value().isPresent()) {
            try (Connection m = master.connect(); Connection s = standby.connect()) {
                unreplicated = unreplicated(config, masterSide.value().get(), m, s);
            } catch (SQLException | RuntimeException e) {
                // Either server went away between the reads: the sides read already say what they can.
            }
        }
        return assemble(config, masterSide, standbySide, unreplicated);
    }

    private static ReplicationStatus assemble(ReplicationConfig config, Read<MasterSide> masterRead,
                                              Read<StandbySide> standbyRead, Map<String, String> unreplicated) {
        List<String> warnings = new ArrayList<>();
        List<String> critical = new ArrayList<>();
        masterRead.failure().ifPresent(failure -> critical.add("master unreachable: " + failure));
        standbyRead.failure().ifPresent(failure -> critical.add("standby unreachable: " + failure));
        Optional<MasterSide> master = masterRead.value();
        Optional<StandbySide> standby = standbyRead.value();

        master.ifPresent(m -> slotProblems(config, m, warnings, critical));
        standby.ifPresent(s -> {
            if (s.applied().isEmpty()) {
                critical.add("the standby has no applied position: the initial sync has not completed");
            }
            warnings.addAll(s.pausedProblems());
            unreplicated.forEach((table, reason) -> {
                if (!s.paused().containsKey(table)) {
                    warnings.add(reason);
                }
            });
        });
        // The heartbeat's age is the lag only while the master writes heartbeats; with the master gone it measures
        // the outage, which the at-risk line says instead.
        Optional<Duration> lag = master.isPresent() ? standby.flatMap(StandbySide::heartbeatAge) : Optional.empty();
        lag.ifPresent(l -> {
            if (l.compareTo(LAG_CRITICAL) > 0) {
                critical.add("lag " + HumanDuration.format(l) + " is over " + HumanDuration.format(LAG_CRITICAL));
            } else if (l.compareTo(LAG_WARNING) > 0) {
                warnings.add("lag " + HumanDuration.format(l) + " is over " + HumanDuration.format(LAG_WARNING));
            }
        });

        Health health = !critical.isEmpty() ? Health.CRITICAL : !warnings.isEmpty() ? Health.WARNING : Health.HEALTHY;
        List<String> problems = new ArrayList<>(critical);
        problems.addAll(warnings);
        return new ReplicationStatus(health, problems, masterRead.failure(), standbyRead.failure(),
                standby.flatMap(StandbySide::applied), standby.flatMap(StandbySide::appliedAt),
                standby.flatMap(StandbySide::heartbeatAt), standby.flatMap(StandbySide::heartbeatAge), lag,
                master.map(MasterSide::position), master.flatMap(MasterSide::slot),
                standby.flatMap(StandbySide::inProgress), tables(master, standby, unreplicated),
                standby.flatMap(StandbySide::lastValidation));
    }

    /**
     * Tables sync run has not paused (it is not running, or has not looked yet) that it cannot replicate, with the
     * fix: missing or different on the standby, or not in the publication yet.
     */
    private static Map<String, String> unreplicated(ReplicationConfig config, MasterSide masterSide, Connection master,
                                                    Connection standby) throws SQLException {
        Map<String, String> unreplicated = new java.util.HashMap<>();
        StandbyTables.unreplicated(master, standby, masterSide.selection(), masterSide.slot().isPresent()
                ? Optional.of(Publication.published(master, config.publication())) : Optional.empty())
                .forEach((table, reason) -> unreplicated.put(table.toString(), reason));
        return unreplicated;
    }

    private static void slotProblems(ReplicationConfig config, MasterSide master, List<String> warnings,
                                     List<String> critical) {
        if (master.slot().isEmpty()) {
            critical.add("no slot " + config.slot() + " on master: replication has not started (run sync run)");
        } else if (master.slot().get().lost()) {
            critical.add("slot " + config.slot() + " is lost: the master removed WAL it needed; sync run recopies");
        } else {
            if (!master.slot().get().active()) {
                warnings.add("slot " + config.slot() + " is not in use: is sync run running?");
            }
            DataSize retained = DataSize.ofBytes(master.slot().get().retainedWalBytes());
            if (retained.compareTo(config.retainedWalWarning()) > 0) {
                warnings.add("slot " + config.slot() + " retains " + retained.approximate() + " of WAL on master"
                        + " (warning at " + config.retainedWalWarning() + ")");
            }
        }
    }

    /**
     * Each replicated table with its mode, state and rows on the standby. The list is the master's; with the master
     * unreachable it is the standby's own (state {@code unknown} unless paused); with the standby unreachable the
     * rows are unknown.
     */
    private static List<TableStatus> tables(Optional<MasterSide> master, Optional<StandbySide> standby,
                                            Map<String, String> unreplicated) {
        TableSelection selection = master.map(MasterSide::selection)
                .or(() -> standby.map(StandbySide::ownSelection)).orElse(new TableSelection(List.of(), List.of()));
        Map<String, String> paused = standby.map(StandbySide::paused).orElse(Map.of());
        String streaming = master.isPresent() && standby.isPresent() ? "streaming" : "unknown";
        String copied = master.isPresent() && standby.isPresent() ? "copied" : "unknown";
        List<TableStatus> tables = new ArrayList<>();
        for (Table table : selection.pushdelta()) {
            String name = table.name().toString();
            long rows = rows(standby, name);
            tables.add(new TableStatus(name, "pushdelta", unreplicated.containsKey(name)
                    || paused.containsKey(name) && rows < 0 ? "not replicated"
                    : paused.containsKey(name) ? "paused" : streaming, rows));
        }
        for (Table table : selection.fullcopy()) {
            String name = table.name().toString();
            long rows = rows(standby, name);
            tables.add(new TableStatus(name, "fullcopy", unreplicated.containsKey(name) ? "not replicated"
                    : paused.containsKey(name) ? "paused" : copied, rows));
        }
        return tables;
    }

    private static long rows(Optional<StandbySide> standby, String table) {
        return standby.map(s -> s.rows().getOrDefault(table, TableStatus.UNKNOWN)).orElse(TableStatus.UNKNOWN);
    }

    /** What one server answered, or the one line saying why it did not. */
    private record Read<T>(Optional<T> value, Optional<String> failure) {
    }

    @FunctionalInterface
    private interface Reading<T> {
        T from(Connection connection) throws SQLException;
    }

    private static <T> Read<T> attempt(String role, Server server, Reading<T> reading) throws SQLException {
        Connection connection;
        try {
            connection = server.connect();
        } catch (LifeboatException e) {
            return new Read<>(Optional.empty(), Optional.of(e.getMessage()));
        }
        try (connection) {
            return new Read<>(Optional.of(reading.from(connection)), Optional.empty());
        } catch (SQLException e) {
            if (!TransientFailure.test(e)) {
                throw e;
            }
            return new Read<>(Optional.empty(), Optional.of("connection to " + role + " lost while reading ("
                    + firstLine(e) + ")"));
        }
    }

    private static String firstLine(Throwable failure) {
        return String.valueOf(failure.getMessage()).lines().findFirst().orElse("").strip();
    }

    static String single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            return row.next() ? row.getString(1) : null;
        }
    }
}
