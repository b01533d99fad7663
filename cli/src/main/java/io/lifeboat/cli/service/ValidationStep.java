package io.lifeboat.cli.service;

import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.setup.TableSelection;
import io.lifeboat.replicator.validate.TableDifference;
import io.lifeboat.replicator.validate.ValidationHistory;
import io.lifeboat.replicator.validate.Validator;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nightly {@code sync validate}: every replicated table compared while replication runs, repaired only when
 * {@code service.repair} is true, the result kept in the validation history. A table out of sync fails the step,
 * with the command that repairs it.
 */
final class ValidationStep {
    private final LifeboatConfig config;
    private final Pools pools;
    private final JobHistory history;

    ValidationStep(LifeboatConfig config, Pools pools, JobHistory history) {
        this.config = config;
        this.pools = pools;
        this.history = history;
    }

    Job job() {
        return new Job("validate", new JobSchedule.Nightly(config.service().archiveWindow(), config.service().timezone()),
                List.of(Step.of("validate", this::validate)), () -> history.lastSuccess("validate"));
    }

    private Step.Result validate(StepRun run) throws Exception {
        List<Table> tables;
        try (Connection master = pools.master().getConnection()) {
            tables = TableSelection.of(TableCatalog.read(master), config.replication()).all();
        }
        Validator validator = new Validator(pools.master(), pools.standby(), config.replication().slot());
        Instant started = Instant.now();
        List<TableDifference> results = new ArrayList<>();
        List<String> repaired = new ArrayList<>();
        for (Table table : tables) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("validation stopped");
            }
            TableDifference difference = validator.compare(table);
            if (!difference.inSync() && config.service().repair()) {
                repaired.add(table.name() + ": " + validator.repair(table, difference));
                difference = validator.compare(table);
            }
            results.add(difference);
        }
        Duration took = Duration.between(started, Instant.now());
        try (Connection standby = pools.standby().getConnection()) {
            ValidationHistory.record(standby, started, took, results);
        }
        List<TableDifference> bad = results.stream().filter(d -> !d.inSync()).toList();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("tables", results.size());
        fields.put("out_of_sync", bad.stream().map(TableDifference::describe).toList());
        fields.put("repaired", repaired);
        if (!bad.isEmpty()) {
            fields.put("repair", bad.stream().map(d -> "lifeboat sync resync --table " + d.table()).toList());
            throw new Step.Failure(bad.size() + " of " + results.size() + " tables out of sync: " + String.join(", ",
                    bad.stream().map(TableDifference::table).toList()) + (config.service().repair() ? ""
                    : " (repair with: lifeboat sync validate --repair, or set service.repair: true)"), fields);
        }
        return new Step.Result("all " + results.size() + " tables in sync"
                + (repaired.isEmpty() ? "" : " (" + repaired.size() + " repaired)"), fields);
    }
}
