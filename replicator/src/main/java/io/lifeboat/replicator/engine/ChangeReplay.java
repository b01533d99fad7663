package io.lifeboat.replicator.engine;

import io.debezium.connector.postgresql.PostgresType;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.pgoutput.PgOutputReplicationMessage;
import io.debezium.jdbc.JdbcConfiguration;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the change Debezium stopped on. Debezium's failure names only the stream position, not the table, and the
 * records before it that were still queued are dropped with it, so the standby's position does not tell either.
 * With the engine stopped, this reads the slot's pending changes as pgoutput sends them
 * ({@code pg_logical_slot_peek_binary_changes}, which leaves the slot where it is) and reads every value with
 * Debezium's own code for pgoutput values, in stream order: the first one that fails is the change the engine
 * cannot get past.
 */
public final class ChangeReplay {
    private static final Logger log = LoggerFactory.getLogger(ChangeReplay.class);
    /** Changes read at most: the failing one is at most the engine's queue and one group of transactions ahead. */
    private static final int MAX_CHANGES = 200_000;
    /** How long the slot may stay in use by the stopped engine's walsender before it is given up on. */
    private static final long SLOT_RELEASE_MILLIS = 10_000;

    private ChangeReplay() {
    }

    /**
     * Whether a capture failure may be a value Debezium cannot read: an error of the data rather than of a
     * connection or of Lifeboat (a number, date or time out of the parser's range, an SQL data exception raised
     * while parsing, a value that does not fit its record schema). Only a replay tells for sure.
     */
    public static boolean mayBeUnreadable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof DateTimeException
                    || t instanceof ArithmeticException
                    || t instanceof org.apache.kafka.connect.errors.DataException) {
                return true;
            }
            // 22: data exception; 42820: pgjdbc's "numeric constant out of range", raised by its own parsers.
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().equals("42820"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * Reads the slot's pending changes (the engine must be stopped) until the first one Debezium cannot read.
     *
     * @param uncaptured tables the engine passes over: their changes are not read
     * @return empty when every pending change reads (the failure was something else)
     */
    public static Optional<UnreadableChange> find(ConnectionConfig master, ReplicationConfig replication,
                                                  Set<TableName> uncaptured) {
        try (PostgresConnection debezium = new PostgresConnection(jdbc(master), "lifeboat-replay")) {
            TypeRegistry types = new TypeRegistry(debezium);
            Connection connection = debezium.connection();
            BaseConnection base = connection.unwrap(BaseConnection.class);
            connection.setAutoCommit(false);
            try {
                return scan(connection, base, types, replication, uncaptured);
            } finally {
                connection.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            throw new LifeboatException("cannot read the pending changes of slot " + replication.slot()
                    + " on master (" + String.valueOf(e.getMessage()).strip() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<UnreadableChange> scan(Connection connection, BaseConnection base, TypeRegistry types,
                                                   ReplicationConfig replication, Set<TableName> uncaptured)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + SLOT_RELEASE_MILLIS * 1_000_000;
        while (true) {
            try (PreparedStatement statement = connection.prepareStatement("""
                    select lsn, data from pg_logical_slot_peek_binary_changes(?, null, ?,
                        'proto_version', '1', 'publication_names', ?)""")) {
                statement.setString(1, replication.slot());
                statement.setInt(2, MAX_CHANGES);
                statement.setString(3, TableName.quote(replication.publication()));
                statement.setFetchSize(1000);
                try (ResultSet rows = statement.executeQuery()) {
                    return first(rows, base, types, uncaptured);
                }
            } catch (SQLException e) {
                // 55006: object in use, the stopped engine's walsender has not let go of the slot yet.
                if (!"55006".equals(e.getSQLState()) || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                connection.rollback();
                Thread.sleep(200);
            }
        }
    }

    private static Optional<UnreadableChange> first(ResultSet rows, BaseConnection base, TypeRegistry types,
                                                     Set<TableName> uncaptured) throws SQLException {
        Map<Integer, PgOutputMessage.Relation> relations = new HashMap<>();
        long read = 0;
        while (rows.next()) {
            read++;
            byte[] message = rows.getBytes(2);
            Optional<PgOutputMessage.Relation> relation = PgOutputMessage.relation(message);
            if (relation.isPresent()) {
                relations.put(relation.get().id(), relation.get());
                continue;
            }
            Optional<PgOutputMessage.Change> change = PgOutputMessage.change(message, relations);
            if (change.isEmpty() || uncaptured.contains(change.get().relation().table())) {
                continue;
            }
            for (PgOutputMessage.Value value : change.get().values()) {
                if (value.text().isEmpty()) {
                    continue;
                }
                PostgresType type = types.get(value.column().typeOid());
                try {
                    PgOutputReplicationMessage.getValue(value.column().name(), type, type.getName(),
                            value.text().get(), () -> base, true, types);
                } catch (RuntimeException e) {
                    Lsn at = Lsn.parse(rows.getString(1));
                    log.debug("change at {} of {} cannot be read", at, change.get().relation().table(), e);
                    return Optional.of(new UnreadableChange(change.get().relation().table(), value.column().name(),
                            type.getName(), at, causes(e)));
                }
            }
        }
        log.debug("all {} pending messages of the slot read", read);
        return Optional.empty();
    }

    /** The messages of the failure's chain, without wrappers that only repeat their cause. */
    private static String causes(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage().strip();
            Throwable cause = t.getCause();
            boolean repeatsCause = cause != null && cause.getMessage() != null && message.contains(cause.getMessage());
            if (!message.isEmpty() && !repeatsCause) {
                messages.add(message);
            }
        }
        return messages.isEmpty() ? failure.getClass().getSimpleName() : String.join(": ", messages);
    }

    private static JdbcConfiguration jdbc(ConnectionConfig master) {
        return JdbcConfiguration.create()
                .with(JdbcConfiguration.HOSTNAME, master.host())
                .with(JdbcConfiguration.PORT, master.port())
                .with(JdbcConfiguration.USER, master.user())
                .with(JdbcConfiguration.PASSWORD, master.password().map(s -> s.reveal()).orElse(""))
                .with(JdbcConfiguration.DATABASE, master.database())
                .with("sslmode", master.sslmode().configValue())
                .build();
    }
}
