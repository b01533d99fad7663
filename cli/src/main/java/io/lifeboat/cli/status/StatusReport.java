package io.lifeboat.cli.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.MonitorConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The status as a person reads it (a tree), as JSON ({@code --json}, {@code /status}) and as one Nagios line. */
public final class StatusReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int NAME_WIDTH = 26;

    private StatusReport() {
    }

    public static String tree(Status status) {
        StringBuilder out = new StringBuilder();
        out.append("lifeboat ").append(status.overall().word()).append("  (").append(status.at()).append(")\n");
        for (Check component : status.components()) {
            line(out, component, 1, status.at());
        }
        return out.toString();
    }

    private static void line(StringBuilder out, Check check, int depth, Instant now) {
        String name = "  ".repeat(depth) + check.name();
        out.append(pad(name, NAME_WIDTH)).append(' ').append(pad(check.level().word(), 5)).append(' ')
                .append(check.reason());
        check.at().ifPresent(at -> out.append("  (").append(StatusTree.age(Duration.between(at, now))).append(" ago)"));
        out.append('\n');
        for (Check child : check.children()) {
            line(out, child, depth + 1, now);
        }
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }

    public static String json(Status status) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("status", status.overall().word());
        root.put("exit_code", status.overall().value());
        root.put("at", status.at().toString());
        List<Object> components = new ArrayList<>();
        status.components().forEach(c -> components.add(check(c, status.at())));
        root.put("components", components);
        Map<String, Object> replication = new LinkedHashMap<>();
        Readings.Replication r = status.readings().replication();
        replication.put("lag_seconds", r.lag(status.at()).map(StatusReport::seconds).orElse(null));
        replication.put("lag_bytes", r.lagBytes().isPresent() ? r.lagBytes().getAsLong() : null);
        replication.put("slot_retained_bytes", r.retainedBytes().isPresent() ? r.retainedBytes().getAsLong() : null);
        replication.put("master_seen_at", r.masterSeenAt().map(Instant::toString).orElse(null));
        replication.put("paused_tables", r.paused().stream().map(Readings.PausedTable::table).toList());
        root.put("replication", replication);
        root.put("rpo_target_seconds", status.rpoTarget().map(StatusReport::seconds).orElse(null));
        List<Object> sources = new ArrayList<>();
        for (Source s : status.sources()) {
            Map<String, Object> source = new LinkedHashMap<>();
            source.put("rung", s.rung());
            source.put("candidate", s.candidate());
            source.put("state", s.state());
            source.put("reason", s.reason());
            source.put("recovery_point", s.recoveryPoint().map(Instant::toString).orElse(null));
            source.put("rpo_seconds", s.rpo().map(StatusReport::seconds).orElse(null));
            source.put("within_rpo", status.rpoTarget().isPresent() && s.rpo().isPresent()
                    ? s.rpo().get().compareTo(status.rpoTarget().get()) <= 0 : null);
            source.put("verified", s.verified());
            source.put("live", s.live());
            sources.add(source);
        }
        root.put("sources", sources);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the status as JSON", e);
        }
    }

    private static Map<String, Object> check(Check check, Instant now) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("name", check.name());
        node.put("status", check.level().word());
        node.put("reason", check.reason());
        node.put("at", check.at().map(Instant::toString).orElse(null));
        node.put("age_seconds", check.at().map(at -> seconds(Duration.between(at, now))).orElse(null));
        if (!check.children().isEmpty()) {
            node.put("children", check.children().stream().map(c -> check(c, now)).toList());
        }
        return node;
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    /**
     * One Nagios plugin line: {@code LIFEBOAT OK - <text> | <perfdata>}, perfdata in the plugin guidelines' syntax
     * ({@code 'label'=value[UOM];[warn];[crit];[min];[max]}).
     */
    public static String nagios(Status status, LifeboatConfig config) {
        List<String> wrong = status.components().stream().filter(c -> c.level() != Level.UP)
                .map(c -> c.name() + ": " + c.reason()).toList();
        String text = wrong.isEmpty() ? status.component("recovery").map(Check::reason).orElse("recoverable")
                : String.join("; ", wrong);
        List<String> perf = new ArrayList<>();
        Readings.Replication r = status.readings().replication();
        MonitorConfig.Thresholds limits = config.monitor().thresholds();
        r.lag(status.at()).ifPresent(lag -> perf.add("lag=" + number(seconds(lag)) + "s;"
                + number(seconds(limits.lagWarning())) + ";" + number(seconds(limits.lagCritical())) + ";0"));
        long retainedWarning = config.replication().retainedWalWarning().bytes();
        r.lagBytes().ifPresent(bytes -> perf.add("lag_bytes=" + bytes + "B;;;0"));
        r.retainedBytes().ifPresent(bytes -> perf.add("slot_retained=" + bytes + "B;" + retainedWarning + ";;0"));
        status.readings().snapshots().ifPresent(s -> perf.add("snapshots=" + s.count() + ";;;0"));
        for (Source s : status.sources()) {
            s.rpo().ifPresent(rpo -> perf.add("'rpo_" + s.rung() + "'=" + number(seconds(rpo)) + "s;"
                    + status.rpoTarget().map(t -> number(seconds(t))).orElse("") + ";;0"));
        }
        return "LIFEBOAT " + status.overall().nagios() + " - " + text.replace('|', '/')
                + (perf.isEmpty() ? "" : " | " + String.join(" ", perf));
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%.3f", value).replaceAll("0+$", "");
    }
}
