package io.lifeboat.cli;

import io.lifeboat.core.config.ConfigWriter;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.setup.MasterPrerequisites;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validate the config file and print the effective config (defaults filled in, secrets masked).",
            "Every problem is reported at once as FILE:LINE: KEY: WHAT. Exit 0 valid, 1 valid with warnings, 2 invalid."})
final class ConfigCheckCommand implements Callable<Integer> {
    @ParentCommand
    ConfigCommand parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--connect", description = "Also connect to master and standby and report what answers.")
    boolean connect;

    @Override
    public Integer call() {
        LoadedConfig loaded = parent.root.loadConfig();
        PrintWriter out = spec.commandLine().getOut();
        int warnings = loaded.warnings().size();
        out.println("# " + loaded.config().source() + ": valid"
                + (warnings == 0 ? "" : ", " + warnings + (warnings == 1 ? " warning" : " warnings")));
        out.print(ConfigWriter.write(loaded.config()));
        out.flush();
        ExitCode result = warnings == 0 ? ExitCode.OK : ExitCode.WARNING;
        if (connect) {
            try (Pools pools = new Pools(loaded.config())) {
                boolean master = probe(ServerRole.MASTER, loaded.config().master(), pools::master)
                        && prerequisites(loaded.config().master(), loaded.config().replication(), pools.master());
                boolean standby = probe(ServerRole.STANDBY, loaded.config().standby(), pools::standby);
                if (!master || !standby) {
                    result = ExitCode.ERROR;
                }
            }
        }
        return result.code();
    }

    /**
     * What {@code sync run} needs of the master (settings, REPLICATION, CREATE, ownership, SELECT): one line per
     * problem with its fix, the same check {@code sync run} makes before it starts.
     */
    private boolean prerequisites(ConnectionConfig server, ReplicationConfig replication, DataSource pool) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Connection connection = pool.getConnection()) {
            List<MasterPrerequisites.Problem> problems = MasterPrerequisites.problems(connection, replication);
            if (problems.isEmpty()) {
                out.println("# " + ServerRole.MASTER + " " + server.address() + ": ready for sync run"
                        + " (settings and privileges checked)");
            }
            problems.forEach(problem -> err.println("error: " + problem.line()));
            out.flush();
            err.flush();
            return problems.isEmpty();
        } catch (SQLException e) {
            err.println("error: cannot check what sync run needs on " + ServerRole.MASTER + " " + server.address()
                    + " (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
            err.flush();
            return false;
        }
    }

    /** One line per server: what answers there, or why nothing does. */
    private boolean probe(ServerRole role, ConnectionConfig server, java.util.function.Supplier<DataSource> pool) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Connection connection = pool.get().getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(
                     "select current_setting('server_version'), current_setting('wal_level'), pg_is_in_recovery()")) {
            row.next();
            out.println("# " + role + " " + server.address() + ": connected (PostgreSQL " + row.getString(1)
                    + ", wal_level " + row.getString(2) + (row.getBoolean(3) ? ", in recovery" : "") + ")");
            out.flush();
            return true;
        } catch (LifeboatException e) {
            err.println("error: " + e.getMessage());
            e.hint().ifPresent(hint -> err.println("hint: " + hint));
        } catch (SQLException e) {
            err.println("error: " + io.lifeboat.core.db.ConnectionFailure.describe(role, server, e).getMessage());
        }
        err.flush();
        return false;
    }
}
