package io.lifeboat.core.db;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.error.TransientException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Turns a failed connection attempt into one line an operator can act on:
 * {@code cannot connect to master 10.0.0.5:5432 (connection refused)}. Classified by SQLState and by the
 * type of the network cause, never by the driver's message text.
 */
public final class ConnectionFailure {
    private ConnectionFailure() {
    }

    public static LifeboatException describe(ServerRole role, ConnectionConfig server, Throwable failure) {
        String prefix = "cannot connect to " + role + " " + server.address();
        Optional<Throwable> network = networkCause(failure);
        if (network.isPresent()) {
            Throwable cause = network.get();
            String reason;
            if (cause instanceof UnknownHostException) {
                reason = "unknown host " + server.host();
            } else if (cause instanceof SocketTimeoutException) {
                reason = "no answer within " + HumanDuration.format(server.connectTimeout());
            } else if (cause instanceof NoRouteToHostException) {
                reason = "no route to host";
            } else {
                reason = "connection refused";
            }
            return new TransientException(prefix + " (" + reason + ")",
                    "check that PostgreSQL runs there and listens on that address (listen_addresses, port, firewall)",
                    failure);
        }
        SQLException sql = sqlCause(failure).orElse(null);
        String state = sql == null || sql.getSQLState() == null ? "" : sql.getSQLState();
        String key = role.toString();
        return switch (state) {
            case "28P01" -> new LifeboatException(prefix + " (password authentication failed for user "
                    + server.user() + ")", "check " + key + ".password or " + key + ".password_file", failure);
            case "28000" -> new LifeboatException(prefix + " (not allowed: " + serverText(sql) + ")",
                    "check pg_hba.conf on the " + role + " and " + key + ".user", failure);
            case "3D000" -> new LifeboatException(prefix + " (database " + server.database() + " does not exist)",
                    "check " + key + ".database", failure);
            // pgjdbc's loginTimeout ends with 08001 and no network cause: the server took the TCP connection
            // but never answered the startup message.
            case "08001" -> new TransientException(prefix + " (no answer within "
                    + HumanDuration.format(server.connectTimeout()) + ")", "check that the server is not hung", failure);
            case "57P03", "53300" -> new TransientException(prefix + " (" + serverText(sql) + ")", null, failure);
            default -> new LifeboatException(prefix + " (" + (sql == null ? String.valueOf(failure.getMessage())
                    : serverText(sql)) + ")", null, failure);
        };
    }

    private static String serverText(SQLException sql) {
        if (sql instanceof PSQLException psql) {
            ServerErrorMessage server = psql.getServerErrorMessage();
            if (server != null && server.getMessage() != null) {
                return server.getMessage();
            }
        }
        return String.valueOf(sql.getMessage());
    }

    private static Optional<Throwable> networkCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof SocketTimeoutException || t instanceof NoRouteToHostException) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static Optional<SQLException> sqlCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return Optional.of(sql);
            }
        }
        return Optional.empty();
    }
}
