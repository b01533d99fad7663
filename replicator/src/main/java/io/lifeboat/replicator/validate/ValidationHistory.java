package io.lifeboat.replicator.validate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/** Records each validation in {@code lifeboat.validation}, so status can say when the standby was last proven equal. */
public final class ValidationHistory {
    private ValidationHistory() {
    }

    public static void record(Connection standby, Instant started, Duration took, List<TableDifference> results)
            throws SQLException {
        String detail = results.stream()
                .map(d -> "{\"table\": " + json(d.table()) + ", \"in_sync\": " + d.inSync() + ", \"rows\": " + d.rows()
                        + ", \"changed\": " + d.changed().size() + ", \"missing\": " + d.missing().size()
                        + ", \"extra\": " + d.extra().size() + "}")
                .collect(Collectors.joining(", ", "[", "]"));
        try (PreparedStatement statement = standby.prepareStatement("insert into lifeboat.validation"
                + " (started_at, duration_ms, tables, out_of_sync, detail) values (?, ?, ?, ?, ?::jsonb)")) {
            statement.setObject(1, java.time.OffsetDateTime.ofInstant(started, java.time.ZoneOffset.UTC));
            statement.setLong(2, took.toMillis());
            statement.setInt(3, results.size());
            statement.setInt(4, (int) results.stream().filter(d -> !d.inSync()).count());
            statement.setString(5, detail);
            statement.executeUpdate();
        }
    }

    private static String json(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
