package io.lifeboat.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.replicator.status.ReplicationStatus;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code sync status} for people (aligned text) and for machines (JSON). */
final class StatusText {
    private StatusText() {
    }

    static String table(ReplicationStatus status, String slotName) {
        StringBuilder out = new StringBuilder();
        out.append("replication: ").append(status.health().name().toLowerCase(Locale.ROOT)).append('\n');
        status.problems().forEach(problem -> out.append("  ! ").append(problem).append('\n'));
        out.append(String.format("%-9s %s%n", "lag:", status.lag().map(StatusText::seconds).orElse("unknown (no heartbeat applied yet)")));
        out.append(String.format("%-9s %s%n", "applied:", status.applied().map(lsn -> lsn + status.appliedAt()
                .map(at -> " at " + at).orElse("") + "; master at " + status.masterPosition() + ", "
                + DataSize.ofBytes(Math.max(0, status.masterPosition().bytesSince(lsn))).approximate() + " behind")
                .orElse("nothing yet; master at " + status.masterPosition())));
        out.append(String.format("%-9s %s%n", "slot:", status.slot().map(slot -> slot.name() + ", "
                + (slot.active() ? "active" : "inactive") + ", wal " + slot.walStatus() + ", retains "
                + DataSize.ofBytes(slot.retainedWalBytes()).approximate() + " of WAL").orElse(slotName + " missing")));
        out.append(String.format("%-9s %s%n", "checked:", status.lastValidation().map(v -> "sync validate at " + v.at()
                + (v.outOfSync() == 0 ? ": all " + v.tables() + " tables in sync"
                        : ": " + v.outOfSync() + " of " + v.tables() + " tables OUT OF SYNC; last proven identical "
                                + v.provenIdentical().map(Object::toString).orElse("never")))
                .orElse("never validated (run lifeboat sync validate)")));
        int width = Math.max(5, status.tables().stream().mapToInt(t -> t.table().length()).max().orElse(5));
        out.append(String.format("%-" + width + "s  %-9s  %-9s  %s%n", "TABLE", "MODE", "STATE", "ROWS ON STANDBY"));
        for (ReplicationStatus.TableStatus table : status.tables()) {
            out.append(String.format("%-" + width + "s  %-9s  %-9s  %s%n", table.table(), table.mode(), table.state(),
                    table.rows() < 0 ? "missing" : String.format(Locale.ROOT, "%,d", table.rows())));
        }
        return out.toString();
    }

    private static String seconds(java.time.Duration lag) {
        return String.format(Locale.ROOT, "%.1f s", lag.toMillis() / 1000.0);
    }

    static String json(ReplicationStatus status) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("health", status.health().name().toLowerCase(Locale.ROOT));
        root.put("problems", status.problems());
        root.put("lag_seconds", status.lag().map(lag -> lag.toMillis() / 1000.0).orElse(null));
        root.put("applied_lsn", status.applied().map(Object::toString).orElse(null));
        root.put("applied_at", status.appliedAt().map(Object::toString).orElse(null));
        root.put("master_lsn", status.masterPosition().toString());
        root.put("bytes_behind", status.applied().map(lsn -> Math.max(0, status.masterPosition().bytesSince(lsn)))
                .orElse(null));
        root.put("slot", status.slot().map(slot -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", slot.name());
            s.put("active", slot.active());
            s.put("wal_status", slot.walStatus());
            s.put("retained_wal_bytes", slot.retainedWalBytes());
            return s;
        }).orElse(null));
        root.put("last_validation", status.lastValidation().map(v -> {
            Map<String, Object> validation = new LinkedHashMap<>();
            validation.put("at", v.at().toString());
            validation.put("tables", v.tables());
            validation.put("out_of_sync", v.outOfSync());
            validation.put("proven_identical_at", v.provenIdentical().map(Object::toString).orElse(null));
            return validation;
        }).orElse(null));
        root.put("tables", status.tables().stream().map(t -> {
            Map<String, Object> table = new LinkedHashMap<>();
            table.put("table", t.table());
            table.put("mode", t.mode());
            table.put("state", t.state());
            table.put("rows", t.rows());
            return table;
        }).toList());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
