package io.lifeboat.replicator.sequence;

import io.lifeboat.core.db.TransientFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Reads every user sequence of a database with its state, and sets one. */
final class SequenceCatalog {
    private static final String DEFINITIONS = """
            select quote_ident(n.nspname) || '.' || quote_ident(c.relname), format_type(s.seqtypid, null),
                   s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, has_sequence_privilege(c.oid, 'SELECT')
            from pg_sequence s
            join pg_class c on c.oid = s.seqrelid
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname not in ('pg_catalog', 'information_schema', 'lifeboat')
              and n.nspname not like 'pg\\_toast%'
              and c.relpersistence <> 't'
            order by 1
            """;
    /** Sequences read per statement: one round trip for many, few enough to hold few locks at a time. */
    private static final int CHUNK = 200;

    private SequenceCatalog() {
    }

    /**
     * Every sequence of the database; those that cannot be read go to {@link Reading#unreadable()} with the
     * reason. A sequence dropped while this reads is left out.
     *
     * @throws SQLException when the connection itself fails
     */
    static Reading read(Connection connection) throws SQLException {
        List<Sequence> definitions = new ArrayList<>();
        Map<String, String> unreadable = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(DEFINITIONS)) {
            while (rows.next()) {
                String name = rows.getString(1);
                if (!rows.getBoolean(8)) {
                    unreadable.put(name, "permission denied (the role needs SELECT on it)");
                    continue;
                }
                definitions.add(new Sequence(name, rows.getString(2), rows.getLong(3), rows.getLong(4),
                        rows.getLong(5), rows.getLong(6), rows.getBoolean(7), 0, false));
            }
        }
        Map<String, Sequence> sequences = new LinkedHashMap<>();
        for (int from = 0; from < definitions.size(); from += CHUNK) {
            List<Sequence> chunk = definitions.subList(from, Math.min(definitions.size(), from + CHUNK));
            try {
                readStates(connection, chunk, sequences);
            } catch (SQLException e) {
                if (TransientFailure.test(e)) {
                    throw e;
                }
                // One of them failed (dropped meanwhile, no privilege): read them one by one to tell which.
                for (Sequence sequence : chunk) {
                    try {
                        readStates(connection, List.of(sequence), sequences);
                    } catch (SQLException one) {
                        if (TransientFailure.test(one)) {
                            throw one;
                        }
                        if (!"42P01".equals(one.getSQLState())) {
                            unreadable.put(sequence.name(), serverText(one));
                        }
                    }
                }
            }
        }
        return new Reading(sequences, unreadable);
    }

    private static void readStates(Connection connection, List<Sequence> chunk, Map<String, Sequence> into)
            throws SQLException {
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < chunk.size(); i++) {
            // The names come quoted from quote_ident on the same server.
            sql.append(i == 0 ? "" : " union all ").append("select ").append(i)
                    .append(", last_value, is_called from ").append(chunk.get(i).name());
        }
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql.toString())) {
            while (rows.next()) {
                Sequence definition = chunk.get(rows.getInt(1));
                into.put(definition.name(), definition.withState(rows.getLong(2), rows.getBoolean(3)));
            }
        }
    }

    /** Gives the sequence on this connection the state of {@code sequence} (its last_value and is_called). */
    static void set(Connection connection, Sequence sequence) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select setval(?::regclass, ?, ?)")) {
            statement.setString(1, sequence.name());
            statement.setLong(2, sequence.lastValue());
            statement.setBoolean(3, sequence.isCalled());
            statement.execute();
        }
    }

    /** The server's own one-line message, without the driver's decoration. */
    static String serverText(SQLException e) {
        if (e instanceof PSQLException psql) {
            ServerErrorMessage server = psql.getServerErrorMessage();
            if (server != null && server.getMessage() != null) {
                return server.getMessage();
            }
        }
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** What {@link #read} found: readable sequences by name, and why the others could not be read. */
    record Reading(Map<String, Sequence> sequences, Map<String, String> unreadable) {
    }
}
