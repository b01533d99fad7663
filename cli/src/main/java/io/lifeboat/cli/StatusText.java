package io.lifeboat.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.status.ReplicationStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code sync status} for people (aligned text) and for machines (JSON). */
final class StatusText {
    /** Always with milliseconds (Instant's own text drops a zero fraction), so every time has one shape. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private StatusText() {
    }

    private static String time(Instant at) {
        return TIME.format(at);
    }

    static String table(ReplicationStatus status, String slotName) {
        StringBuilder out = new StringBuilder();
        out.append("replication: ").append(status.health().name().toLowerCase(Locale.ROOT)).append('\n');
        status.problems().forEach(problem -> out.append("  ! ").append(problem).append('\n'));
        line(out, "lag:", lag(status));
        status.masterUnreachable().ifPresent(unreachable -> line(out, "at risk:", status.dataAtRiskSince()
                .map(since -> "master transactions after " + time(since) + " (" + status.heartbeatAge().map(StatusText::age)
                        .orElse("?") + " ago, the newest heartbeat applied) may be missing on the standby")
                .orElse("unknown: the standby has applied no heartbeat")));
        line(out, "applied:", applied(status));
        status.inProgress().ifPresent(progress -> line(out, "applying:", "master transaction"
                + progress.transactionId().map(id -> " " + id).orElse("") + ": "
                + String.format(Locale.ROOT, "%,d", progress.rowsApplied()) + " rows so far in "
                + age(progress.running()) + " (since " + time(progress.startedAt()) + "), visible at its commit"));
        line(out, "slot:", status.slot().map(slot -> slot.name() + ", "
                + (slot.active() ? "active" : "inactive") + ", wal " + slot.walStatus() + ", retains "
                + DataSize.ofBytes(slot.retainedWalBytes()).approximate() + " of WAL")
                .orElse(status.masterUnreachable().isPresent() ? slotName + ": unknown (master unreachable)"
                        : slotName + " missing"));
        line(out, "checked:", status.standbyUnreachable().isPresent() ? "unknown (standby unreachable)"
                : status.lastValidation().map(v -> "sync validate at " + time(v.at())
                + (v.outOfSync() == 0 ? ": all " + v.tables() + " tables in sync"
                        : ": " + v.outOfSync() + " of " + v.tables() + " tables OUT OF SYNC; last proven identical "
                                + v.provenIdentical().map(StatusText::time).orElse("never")))
                .orElse("never validated (run lifeboat sync validate)"));
        int width = Math.max(5, status.tables().stream().mapToInt(t -> t.table().length()).max().orElse(5));
        out.append(String.format("%-" + width + "s  %-9s  %-9s  %s%n", "TABLE", "MODE", "STATE", "ROWS ON STANDBY"));
        for (ReplicationStatus.TableStatus table : status.tables()) {
            out.append(String.format("%-" + width + "s  %-9s  %-9s  %s%n", table.table(), table.mode(), table.state(),
                    rows(table.rows())));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String text) {
        out.append(String.format("%-9s %s%n", label, text));
    }

    private static String lag(ReplicationStatus status) {
        if (status.standbyUnreachable().isPresent()) {
            return "unknown (standby unreachable)";
        }
        if (status.masterUnreachable().isPresent()) {
            return "unknown (master unreachable)";
        }
        return status.lag().map(StatusText::seconds).orElse("unknown (no heartbeat applied yet)");
    }

    private static String applied(ReplicationStatus status) {
        String master = status.masterPosition().map(position -> "master at " + position).orElse("master unreachable");
        if (status.standbyUnreachable().isPresent()) {
            // The slot's confirmed position is what the standby acknowledged, which it does only after committing.
            return "unknown (standby unreachable)" + status.slot().map(slot -> "; at least " + slot.confirmedFlush()
                    + " (confirmed to the master)").orElse("") + "; " + master + status.slot().flatMap(slot -> status
                    .masterPosition().map(position -> ", " + behind(position, slot.confirmedFlush()))).orElse("");
        }
        return status.applied().map(lsn -> lsn + status.appliedAt().map(at -> " at " + time(at)).orElse("") + "; " + master
                        + status.masterPosition().map(position -> ", " + behind(position, lsn)).orElse(""))
                .orElse("nothing yet; " + master);
    }

    private static String behind(Lsn master, Lsn applied) {
        return DataSize.ofBytes(Math.max(0, master.bytesSince(applied))).approximate() + " behind";
    }

    private static String rows(long rows) {
        if (rows == ReplicationStatus.TableStatus.MISSING) {
            return "missing";
        }
        if (rows == ReplicationStatus.TableStatus.UNKNOWN) {
            return "unknown";
        }
        return String.format(Locale.ROOT, "%,d", rows);
    }

    /** Seconds with a tenth under a minute, then whole units ({@code 1h2m3s}). */
    private static String age(Duration age) {
        return age.compareTo(Duration.ofMinutes(1)) < 0 ? seconds(age)
                : HumanDuration.format(age.truncatedTo(ChronoUnit.SECONDS));
    }

    private static String seconds(Duration lag) {
        return String.format(Locale.ROOT, "%.1f s", lag.toMillis() / 1000.0);
    }

    static String json(ReplicationStatus status) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("health", status.health().name().toLowerCase(Locale.ROOT));
        root.put("problems", status.problems());
        root.put("master_unreachable", status.masterUnreachable().orElse(null));
        root.put("standby_unreachable", status.standbyUnreachable().orElse(null));
        root.put("lag_seconds", status.lag().map(lag -> lag.toMillis() / 1000.0).orElse(null));
        root.put("heartbeat_at", status.heartbeatAt().map(StatusText::time).orElse(null));
        root.put("heartbeat_age_seconds", status.heartbeatAge().map(age -> age.toMillis() / 1000.0).orElse(null));
        root.put("data_at_risk_since", status.dataAtRiskSince().map(StatusText::time).orElse(null));
        root.put("applied_lsn", status.applied().map(Object::toString).orElse(null));
        root.put("applied_at", status.appliedAt().map(StatusText::time).orElse(null));
        root.put("master_lsn", status.masterPosition().map(Object::toString).orElse(null));
        root.put("bytes_behind", status.applied().flatMap(lsn -> status.masterPosition()
                .map(position -> Math.max(0, position.bytesSince(lsn)))).orElse(null));
        root.put("in_progress", status.inProgress().map(progress -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("transaction_id", progress.transactionId().orElse(null));
            p.put("rows_applied", progress.rowsApplied());
            p.put("started_at", time(progress.startedAt()));
            p.put("updated_at", time(progress.updatedAt()));
            p.put("running_seconds", progress.running().toMillis() / 1000.0);
            return p;
        }).orElse(null));
        root.put("slot", status.slot().map(slot -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", slot.name());
            s.put("active", slot.active());
            s.put("wal_status", slot.walStatus());
            s.put("confirmed_flush_lsn", slot.confirmedFlush().toString());
            s.put("retained_wal_bytes", slot.retainedWalBytes());
            return s;
        }).orElse(null));
        root.put("last_validation", status.lastValidation().map(v -> {
            Map<String, Object> validation = new LinkedHashMap<>();
            validation.put("at", time(v.at()));
            validation.put("tables", v.tables());
            validation.put("out_of_sync", v.outOfSync());
            validation.put("proven_identical_at", v.provenIdentical().map(StatusText::time).orElse(null));
            return validation;
        }).orElse(null));
        root.put("tables", status.tables().stream().map(t -> {
            Map<String, Object> table = new LinkedHashMap<>();
            table.put("table", t.table());
            table.put("mode", t.mode());
            table.put("state", t.state());
            table.put("rows", t.rows() == ReplicationStatus.TableStatus.UNKNOWN ? null : t.rows());
            return table;
        }).toList());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
