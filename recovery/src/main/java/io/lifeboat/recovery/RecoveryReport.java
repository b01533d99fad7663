package io.lifeboat.recovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.db.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ladder and its outcome as one JSON object: what {@code --json} prints, what the report file holds and what the
 * recovered database's catalog records. At least {@code chosen: {rung, candidate}} and
 * {@code rungs: [{rung, candidate, state, reason, data_loss_seconds, data_loss_bytes}]}.
 */
public final class RecoveryReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RecoveryReport() {
    }

    /** The dry-run's report. */
    public static Map<String, Object> of(LadderReport ladder, RecoveryContext context) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("outcome", "dry-run");
        ladder(report, ladder, context);
        return report;
    }

    /** The report of {@code --auto} or {@code --from}. */
    public static Map<String, Object> of(Outcome outcome, Optional<EndpointSwitch.Result> endpointSwitch,
            RecoveryContext context) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("outcome", outcome.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        report.put("started_at", outcome.startedAt().toString());
        report.put("finished_at", outcome.finishedAt().toString());
        report.put("duration_seconds", seconds(Duration.between(outcome.startedAt(), outcome.finishedAt())));
        outcome.message().ifPresent(message -> report.put("message", message));
        ladder(report, outcome.ladder(), context);
        report.put("chosen", outcome.taken().map(RecoveryReport::choice).orElse(null));
        outcome.taken().ifPresent(taken -> {
            report.put("data_loss_seconds", taken.loss().time().map(RecoveryReport::seconds).orElse(null));
            report.put("data_loss_bytes", taken.loss().bytes().orElse(null));
        });
        outcome.recovered().ifPresent(recovered -> {
            Map<String, Object> up = new LinkedHashMap<>();
            up.put("host", recovered.host());
            up.put("port", recovered.port());
            up.put("database", recovered.database());
            up.put("data_directory", recovered.dataDirectory().map(Object::toString).orElse(null));
            up.put("lsn", recovered.reached().lsn().map(Lsn::toString).orElse(null));
            up.put("master_time", recovered.reached().time().map(Instant::toString).orElse(null));
            up.put("checks", recovered.checks());
            report.put("recovered", up);
        });
        endpointSwitch.ifPresent(result -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("command", result.command());
            s.put("exit_code", result.exitCode());
            s.put("last_line", result.lastLine());
            report.put("switch", s);
        });
        return report;
    }

    private static void ladder(Map<String, Object> report, LadderReport ladder, RecoveryContext context) {
        report.put("prefer", ladder.prefer().configName());
        report.put("chosen", ladder.chosen().map(RecoveryReport::choice).orElse(null));
        Map<String, Object> policies = new LinkedHashMap<>();
        policies.put("first-healthy", ladder.firstHealthy().map(RecoveryReport::choice).orElse(null));
        policies.put("least-data-loss", ladder.leastDataLoss().map(RecoveryReport::choice).orElse(null));
        report.put("policies", policies);
        ladder.overLimit().ifPresent(over -> report.put("over_max_data_loss", choice(over)));
        Map<String, Object> reference = new LinkedHashMap<>();
        reference.put("lsn", ladder.reference().position().lsn().map(Lsn::toString).orElse(null));
        reference.put("master_time", ladder.reference().position().time().map(Instant::toString).orElse(null));
        reference.put("source", ladder.reference().source());
        report.put("reference", reference);
        List<Map<String, Object>> rungs = new ArrayList<>();
        for (Assessment a : ladder.assessments()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("rung", a.rung());
            row.put("candidate", a.candidate());
            row.put("state", a.state().label());
            row.put("reason", a.reason());
            row.put("lsn", a.position().lsn().map(Lsn::toString).orElse(null));
            row.put("master_time", a.position().time().map(Instant::toString).orElse(null));
            row.put("data_loss_seconds", a.loss().time().map(RecoveryReport::seconds).orElse(null));
            row.put("data_loss_bytes", a.loss().bytes().orElse(null));
            row.put("expected_seconds", a.expected().map(RecoveryReport::seconds).orElse(null));
            context.recovery().rpo().ifPresent(rpo -> row.put("within_rpo", a.loss().known() ? !a.loss().exceeds(rpo)
                    : null));
            context.recovery().rto().ifPresent(rto -> row.put("within_rto", a.expected()
                    .map(e -> e.compareTo(rto) <= 0).orElse(null)));
            rungs.add(row);
        }
        report.put("rungs", rungs);
    }

    private static Map<String, Object> choice(Assessment a) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("rung", a.rung());
        choice.put("candidate", a.candidate());
        return choice;
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    public static String json(Map<String, Object> report) {
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the recovery report", e);
        }
    }
}
