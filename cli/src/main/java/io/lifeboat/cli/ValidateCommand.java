package io.lifeboat.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.validate.TableDifference;
import io.lifeboat.replicator.validate.ValidationHistory;
import io.lifeboat.replicator.validate.Validator;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Compare every replicated table (or the named ones) between master and standby, while",
            "replication runs and without locking. Exit 0 when all are in sync, 2 when any is not."})
final class ValidateCommand implements Callable<Integer> {
    @ParentCommand
    SyncCommand sync;

    @Spec
    CommandSpec spec;

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "Only this table (repeatable).")
    List<String> only = new ArrayList<>();

    @Option(names = "--json", description = "Print JSON for machines.")
    boolean json;

    @Option(names = "--repair", description = {"Repair every table found out of sync, then validate it again: just the",
        "differing rows when the table has a primary key and at most 1000 differ, else a whole copy."})
    boolean repair;

    @Override
    public Integer call() throws Exception {
        LoadedConfig loaded = sync.root.loadConfig();
        PrintWriter out = spec.commandLine().getOut();
        try (Pools pools = new Pools(loaded.config())) {
            new CatalogMigrator(pools.standby()).migrate();
            List<Table> tables = SyncCommand.replicatedTables(pools, loaded, only);
            Validator validator = new Validator(pools.master(), pools.standby(), loaded.config().replication().slot());
            Instant started = Instant.now();
            List<TableDifference> results = new ArrayList<>();
            for (Table table : tables) {
                TableDifference difference = validator.compare(table);
                if (!difference.inSync() && repair) {
                    String done = validator.repair(table, difference);
                    if (!json) {
                        out.println(difference.describe());
                        out.println(table.name() + ": " + done);
                        out.flush();
                    }
                    difference = validator.compare(table);
                }
                results.add(difference);
                if (!json) {
                    out.println(difference.describe());
                    out.flush();
                }
            }
            Duration took = Duration.between(started, Instant.now());
            try (Connection standby = pools.standby().getConnection()) {
                ValidationHistory.record(standby, started, took, results);
            }
            long bad = results.stream().filter(d -> !d.inSync()).count();
            if (json) {
                out.print(json(results, took));
            } else {
                out.println(bad == 0 ? "all " + results.size() + " tables in sync (" + took.toMillis() + " ms)"
                        : bad + " of " + results.size() + " tables OUT OF SYNC (" + took.toMillis() + " ms)"
                                + (repair ? "" : "; repair with: lifeboat sync validate --repair"));
            }
            out.flush();
            return bad == 0 ? ExitCode.OK.code() : ExitCode.ERROR.code();
        }
    }

    private static String json(List<TableDifference> results, Duration took) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("in_sync", results.stream().allMatch(TableDifference::inSync));
        root.put("duration_ms", took.toMillis());
        root.put("tables", results);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
    }
}
