package io.lifeboat.cli;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.ConnectionFailure;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.TransientFailure;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.replicator.status.ReplicationStatus;
import io.lifeboat.replicator.status.StatusReader;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.fullcopy.FullcopyRound;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.sequence.SequenceSync;
import io.lifeboat.replicator.setup.MasterPrerequisites;
import io.lifeboat.replicator.setup.SlotLock;
import io.lifeboat.replicator.setup.TableSelection;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Replicate the master to the standby (pushdelta and fullcopy).",
        subcommands = ValidateCommand.class)
final class SyncCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;

    /** How long a clean stop after SIGTERM/SIGINT may take before the process ends anyway. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final Duration LOCK_CHECK_INTERVAL = Duration.ofSeconds(5);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(SyncCommand.class);

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Replicate in the foreground until SIGINT or SIGTERM; the position stays saved in the standby.",
                "Creates the publication and the slot on the master, and copies every table when the slot is new.",
                "Refuses at once when another sync run uses the slot or the master user lacks a privilege.",
                "Exit 0 after a clean stop on SIGINT or SIGTERM."})
    int runReplicator() throws Exception {
        LifeboatConfig config = root.loadConfig().config();
        AtomicReference<Replicator> running = new AtomicReference<>();
        AtomicReference<String> lockLost = new AtomicReference<>();
        try (StopSignal signal = StopSignal.install(() -> Optional.ofNullable(running.get()).ifPresent(Replicator::stop),
                STOP_GRACE);
             Pools pools = new Pools(config);
             SlotLock lock = SlotLock.lock(config.standby(), config.replication().slot())) {
            checkMaster(pools, config, signal);
            new CatalogMigrator(pools.standby()).migrate();
            Replicator replicator = new Replicator(config.master(), config.replication(), pools.master(),
                    pools.standby());
            running.set(replicator);
            if (signal.received()) {
                return ExitCode.OK.code();
            }
            ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "lifeboat-slot-lock");
                thread.setDaemon(true);
                return thread;
            });
            keeper.scheduleWithFixedDelay(() -> lock.keep().ifPresent(taken -> {
                lockLost.set(taken);
                replicator.stop();
            }), LOCK_CHECK_INTERVAL.toMillis(), LOCK_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            try {
                replicator.run();
            } finally {
                keeper.shutdownNow();
            }
            if (lockLost.get() != null) {
                throw new LifeboatException(lockLost.get() + "; this run stopped",
                        "one sync run per slot: check what runs where", null);
            }
            return ExitCode.OK.code();
        }
    }

    /**
     * Before anything changes anywhere: another client on the slot, or a privilege missing, is one line each. A master
     * that is not reachable yet (restarting while this starts) is waited for, as replication waits for it later.
     */
    static void checkMaster(Pools pools, LifeboatConfig config, StopSignal signal)
            throws SQLException, InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try (Connection master = connect(ServerRole.MASTER, config.master(), pools::master)) {
                MasterPrerequisites.checkSlotUnused(master, config.replication().slot());
                MasterPrerequisites.checkAll(master, config.replication());
                return;
            } catch (LifeboatException | SQLException e) {
                if (!TransientFailure.test(e)) {
                    throw e;
                }
                log.warn("{}; trying again in {}", e.getMessage(), HumanDuration.format(backoff));
                if (signal.await(backoff)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    @Command(name = "fullcopy", mixinStandardHelpOptions = true,
            description = "Copy the fullcopy tables (those without a primary key, and replication.tables.fullcopy) now.")
    int fullcopy(@Option(names = "--table", paramLabel = "SCHEMA.TABLE",
            description = "Only this table (repeatable).") List<String> only) throws Exception {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            List<Table> tables = pick(selection(pools, loaded).fullcopy(), only, "fullcopy");
            long rows = 0;
            for (Table table : tables) {
                rows += copyAgain(table, pools);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(tables.size() + " fullcopy tables copied (" + rows + " rows)");
            out.flush();
            return ExitCode.OK.code();
        }
    }

    @Command(name = "resync", mixinStandardHelpOptions = true,
            description = {"Copy tables again from the master (Bucardo's onetimecopy) while replication keeps running.",
                "Readers of the standby see the old copy or the new one, never an empty table; changes made",
                "meanwhile are applied by the stream on top, so none is lost."})
    int resync(@Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "This table (repeatable).")
               List<String> tables,
               @Option(names = "--all", description = "Every replicated table.") boolean all) throws Exception {
        if ((tables == null || tables.isEmpty()) == !all) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --table T (repeatable) or --all");
        }
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            List<Table> chosen = replicatedTables(pools, loaded,
                    all ? List.of() : tables);
            PrintWriter out = spec.commandLine().getOut();
            for (Table table : chosen) {
                long started = System.nanoTime();
                long rows = copyAgain(table, pools);
                out.println(table.name() + ": copied again (" + rows + " rows in "
                        + (System.nanoTime() - started) / 1_000_000 + " ms)");
                out.flush();
            }
            return ExitCode.OK.code();
        }
    }

    /** One table copied again; the standby refusing it is the operator's news, not a Lifeboat bug. */
    private static long copyAgain(Table table, Pools pools) throws SQLException {
        try {
            return FullcopyRound.run("resync", List.of(table), pools.master(), pools.standby());
        } catch (SQLException e) {
            if (TransientFailure.test(e)) {
                throw e;
            }
            throw new LifeboatException("cannot copy " + table.name() + " again ("
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")",
                    "the standby refused it; its copy of the table is unchanged", e);
        }
    }

    /** The replicated tables, or the named ones; a name that is not replicated is an error naming it. */
    static List<Table> replicatedTables(Pools pools, LoadedConfig loaded, List<String> only) throws SQLException {
        return pick(selection(pools, loaded).all(), only, "replicated");
    }

    private static TableSelection selection(Pools pools, LoadedConfig loaded) throws SQLException {
        try (Connection master = pools.master().getConnection()) {
            return TableSelection.of(TableCatalog.read(master), loaded.config().replication());
        }
    }

    /** {@code candidates}, or those of them named in {@code only}; a name not among them is an error. */
    private static List<Table> pick(List<Table> candidates, List<String> only, String kind) {
        if (only == null || only.isEmpty()) {
            return candidates;
        }
        List<String> known = candidates.stream().map(t -> t.name().toString()).toList();
        List<String> unknown = only.stream().filter(t -> !known.contains(t)).toList();
        if (!unknown.isEmpty()) {
            throw new LifeboatException("not a " + kind + " table: " + String.join(", ", unknown),
                    kind + " tables: " + String.join(", ", known), null);
        }
        return candidates.stream().filter(t -> only.contains(t.name().toString())).toList();
    }

    @Command(name = "sequences", mixinStandardHelpOptions = true,
            description = {"Bring the standby's sequences to the master's now: each hands out next a value at or beyond",
                "the master's, in its own direction (never moves one backwards). Exit 1 if some are skipped."})
    int sequences() throws Exception {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config());
             Connection master = pools.master().getConnection();
             Connection standby = pools.standby().getConnection()) {
            SequenceSync.Result result = new SequenceSync().run(master, standby);
            PrintWriter out = spec.commandLine().getOut();
            result.advanced().forEach((name, next) -> out.println(name + ": next value " + next));
            result.missing().forEach(name -> out.println(name + ": missing on standby"));
            result.skipped().forEach((name, why) -> out.println(name + ": skipped, " + why));
            out.println(result.sequences() + " sequences, " + result.advanced().size() + " advanced, "
                    + result.missing().size() + " missing on standby, " + result.skipped().size() + " skipped");
            out.flush();
            return result.missing().isEmpty() && result.skipped().isEmpty() ? ExitCode.OK.code()
                    : ExitCode.WARNING.code();
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show lag, applied position, slot and tables. Exit 0 healthy, 1 warning, 2 critical.",
                "With one server unreachable it shows what the other can tell, and exits 2."})
    int status(@Option(names = "--json", description = "Print JSON for machines.") boolean json) throws Exception {
        LifeboatConfig config = root.loadConfig().config();
        try (Pools pools = new Pools(config)) {
            ReplicationStatus status = StatusReader.read(config.replication(),
                    () -> connect(ServerRole.MASTER, config.master(), pools::master),
                    () -> connect(ServerRole.STANDBY, config.standby(), pools::standby));
            PrintWriter out = spec.commandLine().getOut();
            out.print(json ? StatusText.json(status) : StatusText.table(status, config.replication().slot()));
            out.flush();
            return switch (status.health()) {
                case HEALTHY -> ExitCode.OK.code();
                case WARNING -> ExitCode.WARNING.code();
                case CRITICAL -> ExitCode.ERROR.code();
            };
        }
    }

    /** A connection from the server's pool; failing to get one is one line naming the server. */
    private static Connection connect(ServerRole role, ConnectionConfig server, Supplier<DataSource> pool) {
        try {
            return pool.get().getConnection();
        } catch (SQLException e) {
            throw ConnectionFailure.describe(role, server, e);
        }
    }
}
