package io.lifeboat.cli;

import io.lifeboat.core.config.LoadedConfig;
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
import io.lifeboat.replicator.setup.TableSelection;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Replicate in the foreground until SIGINT or SIGTERM; the position stays saved in the standby.",
                "Creates the publication and the slot on the master, and copies every table when the slot is new."})
    int runReplicator() throws Exception {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            new CatalogMigrator(pools.standby()).migrate();
            Replicator replicator = new Replicator(loaded.config().master(), loaded.config().replication(),
                    pools.master(), pools.standby());
            CountDownLatch finished = new CountDownLatch(1);
            Thread stopOnSignal = new Thread(() -> {
                replicator.stop();
                try {
                    finished.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "lifeboat-stop");
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            try {
                replicator.run();
            } finally {
                finished.countDown();
            }
            return ExitCode.OK.code();
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
            return FullcopyRound.run(List.of(table), pools.master(), pools.standby());
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
            description = {"Show lag, applied position, slot and tables. Exit 0 healthy, 1 warning, 2 critical."})
    int status(@Option(names = "--json", description = "Print JSON for machines.") boolean json) throws Exception {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config());
             Connection master = pools.master().getConnection();
             Connection standby = pools.standby().getConnection()) {
            ReplicationStatus status = StatusReader.read(loaded.config().replication(), master, standby);
            PrintWriter out = spec.commandLine().getOut();
            out.print(json ? StatusText.json(status) : StatusText.table(status, loaded.config().replication().slot()));
            out.flush();
            return switch (status.health()) {
                case HEALTHY -> ExitCode.OK.code();
                case WARNING -> ExitCode.WARNING.code();
                case CRITICAL -> ExitCode.ERROR.code();
            };
        }
    }
}
