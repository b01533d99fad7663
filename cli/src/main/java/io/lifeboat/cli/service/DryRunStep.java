package io.lifeboat.cli.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.recovery.Ladder;
import io.lifeboat.recovery.LadderReport;
import io.lifeboat.recovery.Recovery;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.RecoveryOptions;
import io.lifeboat.recovery.RecoveryReport;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code recover --auto --dry-run} once a day, so a broken rung is known before it is needed. Its whole
 * {@code --json} object is the detail of its row (status reads it from there); when no rung could bring the
 * database back the step fails.
 */
final class DryRunStep {
    static final Duration PERIOD = Duration.ofDays(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LifeboatConfig config;
    private final JobHistory history;
    private final Clock clock;

    DryRunStep(LifeboatConfig config, JobHistory history, Clock clock) {
        this.config = config;
        this.history = history;
        this.clock = clock;
    }

    Job job() {
        return new Job("dry-run", new JobSchedule.Daily(PERIOD), List.of(Step.of("dry-run", this::dryRun)),
                () -> history.lastSuccess("dry-run"));
    }

    private Step.Result dryRun(StepRun run) throws Exception {
        // No terminal in a service: a key's passphrase comes from recovery.passphrase_file or not at all.
        try (RecoveryContext context = new RecoveryContext(config, RecoveryOptions.NONE, clock, () -> new char[0])) {
            run.onStop(context::stopScratchServers);
            LadderReport report = new Recovery(context, Ladder.of(config.recovery().ladder())).assess();
            Map<String, Object> detail = new LinkedHashMap<>(JSON.readValue(
                    RecoveryReport.json(RecoveryReport.of(report, context)), new TypeReference<Map<String, Object>>() {
                    }));
            if (report.chosen().isEmpty()) {
                throw new Step.Failure(report.choiceLine().replaceFirst("^--auto would ", "recover --auto would "),
                        detail);
            }
            return new Step.Result(report.choiceLine().replaceFirst("^--auto would ", "recover --auto would "), detail);
        }
    }
}
