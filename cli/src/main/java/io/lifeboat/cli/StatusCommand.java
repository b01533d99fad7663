package io.lifeboat.cli;

import io.lifeboat.cli.status.CatalogUnreadableException;
import io.lifeboat.cli.status.Status;
import io.lifeboat.cli.status.StatusCheck;
import io.lifeboat.cli.status.StatusReport;
import io.lifeboat.core.config.ConfigException;
import io.lifeboat.core.config.ConfigProblem;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"How recoverable the database is now: replication, snapshots, archives, offsite copy,",
            "validation and each recovery source from the last dry-run, each line up, warn or down.",
            "Exit 0 ok, 1 warning, 2 critical, 3 unknown (the check cannot run): usable as a Nagios/Icinga check."})
final class StatusCommand implements Callable<Integer> {
    /** Nagios' UNKNOWN: the check itself could not run. */
    static final int UNKNOWN = 3;

    @ParentCommand
    LifeboatCommand root;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print JSON for machines (what /status serves).")
    boolean json;

    @Option(names = "--nagios", description = "Print one Nagios plugin line: LIFEBOAT OK - … | perfdata.")
    boolean nagios;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LifeboatConfig config;
        try {
            config = root.loadConfig().config();
        } catch (ConfigException e) {
            return unknown(out, err, e.problems().get(0).toString(), e);
        }
        try (Pools pools = new Pools(config)) {
            Status status = StatusCheck.run(config, pools.standby());
            out.print(nagios ? StatusReport.nagios(status, config) + "\n"
                    : json ? StatusReport.json(status) : StatusReport.tree(status));
            out.flush();
            return status.overall().value();
        } catch (CatalogUnreadableException e) {
            return unknown(out, err, e.getMessage(), e);
        }
    }

    private int unknown(PrintWriter out, PrintWriter err, String reason, RuntimeException e) {
        if (nagios) {
            out.println("LIFEBOAT UNKNOWN - " + reason.replace('|', '/'));
            out.flush();
            return UNKNOWN;
        }
        if (e instanceof ConfigException config) {
            config.problems().stream().map(ConfigProblem::toString).forEach(err::println);
        } else {
            err.println("error: " + reason);
            ((CatalogUnreadableException) e).hint().ifPresent(hint -> err.println("hint: " + hint));
        }
        err.flush();
        return UNKNOWN;
    }
}
