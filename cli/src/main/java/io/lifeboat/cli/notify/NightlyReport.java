package io.lifeboat.cli.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.cli.status.Check;
import io.lifeboat.cli.status.Readings;
import io.lifeboat.cli.status.Source;
import io.lifeboat.cli.status.Status;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The summary an operator reads with coffee: what ran in the last day and what failed, the sizes of the newest
 * backups, the last validation table by table, and each recovery source's RPO. Sent as a {@code report} event
 * through the same channels as alerts.
 */
public final class NightlyReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PERIOD = Duration.ofDays(1);

    private NightlyReport() {
    }

    public static Event compose(Status status, DataSource standby) {
        StringBuilder text = new StringBuilder();
        Instant since = status.at().minus(PERIOD);
        text.append("lifeboat is ").append(status.overall().word()).append(" at ").append(status.at()).append('\n');
        for (Check component : status.components()) {
            text.append("  ").append(component.name()).append(": ").append(component.level().word()).append(", ")
                    .append(component.reason()).append('\n');
        }
        text.append("\njobs since ").append(since).append(":\n");
        int failed = 0;
        try (Connection connection = standby.getConnection()) {
            try (PreparedStatement statement = connection.prepareStatement("select kind, count(*),"
                    + " count(*) filter (where state = 'failed'), max(ended_at) filter (where state = 'succeeded'),"
                    + " sum(extract(epoch from ended_at - started_at))"
                    + " from lifeboat.job where started_at >= ? and state <> 'running' group by kind order by kind")) {
                statement.setTimestamp(1, Timestamp.from(since));
                try (ResultSet rows = statement.executeQuery()) {
                    boolean any = false;
                    while (rows.next()) {
                        any = true;
                        failed += rows.getInt(3);
                        text.append("  ").append(rows.getString(1)).append(": ").append(rows.getInt(2))
                                .append(" ran, ").append(rows.getInt(3)).append(" failed, ")
                                .append(HumanDuration.format(Duration.ofSeconds(rows.getLong(5)))).append(" in all\n");
                    }
                    if (!any) {
                        text.append("  none\n");
                    }
                }
            }
            try (PreparedStatement statement = connection.prepareStatement("select kind, ended_at,"
                    + " coalesce(detail->>'error', detail->>'message', '') from lifeboat.job"
                    + " where started_at >= ? and state = 'failed' order by started_at");) {
                statement.setTimestamp(1, Timestamp.from(since));
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        text.append("  failed: ").append(rows.getString(1)).append(" at ")
                                .append(rows.getTimestamp(2).toInstant()).append(": ").append(rows.getString(3))
                                .append('\n');
                    }
                }
            }
            text.append("\nvalidation:\n");
            validation(connection, text);
        } catch (SQLException e) {
            text.append("  cannot read the catalog (").append(e.getMessage()).append(")\n");
        }
        text.append("\nsizes:\n");
        for (Readings.Archive archive : status.readings().archives()) {
            text.append("  ").append(archive.target()).append(": ").append(archive.complete()).append(" complete");
            archive.newest().ifPresent(b -> text.append(", newest ").append(b.id()).append(" ")
                    .append(DataSize.ofBytes(b.bytes()).approximate()));
            archive.problem().ifPresent(p -> text.append(", cannot list: ").append(p));
            text.append('\n');
        }
        status.readings().snapshots().ifPresent(s -> text.append("  snapshots: ").append(s.count())
                .append(" complete\n"));
        text.append("\nrecovery point per source").append(status.rpoTarget().map(t -> " (recovery.rpo "
                + HumanDuration.format(t) + ")").orElse("")).append(":\n");
        if (status.sources().isEmpty()) {
            text.append("  no recovery dry-run yet\n");
        }
        for (Source source : status.sources()) {
            text.append("  ").append(source.rung()).append(": ").append(source.state()).append(", rpo ")
                    .append(source.rpo().map(r -> HumanDuration.format(Duration.ofSeconds(r.toSeconds())))
                            .orElse("unknown"));
            if (status.rpoTarget().isPresent() && source.rpo().isPresent()) {
                text.append(source.rpo().get().compareTo(status.rpoTarget().get()) <= 0 ? " (within)" : " (over)");
            }
            text.append('\n');
        }
        String summary = "lifeboat nightly report: " + status.overall().word() + ", " + failed + " failed job"
                + (failed == 1 ? "" : "s") + " in the last day";
        Alert report = new Alert("report", "LifeboatNightlyReport", "info", summary, text.toString());
        return new Event(Event.REPORT, report, since, Optional.of(status.at()), status.at());
    }

    private static void validation(Connection connection, StringBuilder text) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select started_at, detail::text"
                + " from lifeboat.validation order by started_at desc, id desc limit 1");
             ResultSet row = statement.executeQuery()) {
            if (!row.next()) {
                text.append("  never validated\n");
                return;
            }
            text.append("  at ").append(row.getTimestamp(1).toInstant()).append('\n');
            JsonNode tables;
            try {
                tables = JSON.readTree(row.getString(2));
            } catch (IOException e) {
                text.append("  unreadable detail\n");
                return;
            }
            for (JsonNode table : tables) {
                boolean inSync = table.path("in_sync").asBoolean(true);
                text.append("  ").append(table.path("table").asText()).append(": ")
                        .append(inSync ? "equal" : "out of sync (" + table.path("changed").asInt() + " changed, "
                                + table.path("missing").asInt() + " missing, " + table.path("extra").asInt()
                                + " extra)").append(", ").append(table.path("rows").asLong()).append(" rows\n");
            }
        }
    }
}
