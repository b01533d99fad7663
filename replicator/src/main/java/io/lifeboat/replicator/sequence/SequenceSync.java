package io.lifeboat.replicator.sequence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sequences are not in the change stream: this brings each standby sequence up to the master's value, never down,
 * so a promoted standby hands out no number the master already gave.
 */
public final class SequenceSync {
    private static final Logger log = LoggerFactory.getLogger(SequenceSync.class);
    private static final String SEQUENCES = """
            select quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value
            from pg_sequences
            where schemaname not in ('pg_catalog', 'information_schema', 'lifeboat')
            """;

    private SequenceSync() {
    }

    /** @return what changed on the standby: sequence → new value */
    public static Result run(Connection master, Connection standby) throws SQLException {
        Map<String, Long> onMaster = values(master);
        Map<String, Long> onStandby = values(standby);
        Map<String, Long> advanced = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Long> sequence : onMaster.entrySet()) {
            if (!onStandby.containsKey(sequence.getKey())) {
                missing.add(sequence.getKey());
                continue;
            }
            Long masterValue = sequence.getValue();
            Long standbyValue = onStandby.get(sequence.getKey());
            if (masterValue != null && (standbyValue == null || masterValue > standbyValue)) {
                try (PreparedStatement statement = standby.prepareStatement("select setval(?::regclass, ?)")) {
                    statement.setString(1, sequence.getKey());
                    statement.setLong(2, masterValue);
                    statement.execute();
                }
                advanced.put(sequence.getKey(), masterValue);
            }
        }
        if (!missing.isEmpty()) {
            log.warn("sequences missing on standby: {}", missing);
        }
        return new Result(onMaster.size(), advanced, missing);
    }

    /** {@code last_value} per sequence; null for one never used (nothing to carry over). */
    private static Map<String, Long> values(Connection connection) throws SQLException {
        Map<String, Long> values = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(SEQUENCES)) {
            while (rows.next()) {
                long value = rows.getLong(2);
                values.put(rows.getString(1), rows.wasNull() ? null : value);
            }
        }
        return values;
    }

    /** One round: how many sequences the master has, which moved on the standby, which are missing there. */
    public record Result(int sequences, Map<String, Long> advanced, List<String> missing) {
    }
}
