package io.lifeboat.core.db;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A claim held for as long as a process lives: a session-level advisory lock on a connection of its own, so a
 * killed process lets go of it with its socket and nothing is left stuck. The key is one or two names, hashed by
 * the server ({@code hashtext}); the session's application name says who holds it, for the refusal another
 * process gets.
 *
 * <p>The holders ({@code lifeboat run} on the catalog, {@code sync run} on its slot) say themselves how to name
 * the other holder; this class only takes, keeps and lets go.
 */
public final class SessionLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionLock.class);
    private static final Duration RETRY = Duration.ofMillis(200);

    /** What {@link #keep()} found. */
    public enum Kept {
        /** The session is alive and holds the lock. */
        HELD,
        /** The session was lost (a server restart ends it) and the lock was taken again on a new one. */
        TAKEN_AGAIN,
        /** The session was lost and another process took the lock meanwhile: this one must stop. */
        TAKEN_BY_ANOTHER,
        /** The session was lost and the server cannot be reached yet; the lock is taken again when it is back. */
        UNREACHABLE
    }

    private final ConnectionConfig server;
    private final ServerRole role;
    private final String applicationName;
    private final List<String> key;
    private Connection session;

    /**
     * @param applicationName the holding session's {@code application_name}, e.g. {@code lifeboat run 1234}
     * @param key             one or two names; two take the two-key form of the lock
     */
    public SessionLock(ConnectionConfig server, ServerRole role, String applicationName, String... key) {
        if (key.length < 1 || key.length > 2) {
            throw new IllegalArgumentException("an advisory lock takes one or two keys, not " + key.length);
        }
        this.server = server;
        this.role = role;
        this.applicationName = applicationName;
        this.key = List.of(key);
    }

    /**
     * Takes the lock, waiting up to {@code releaseWait} for a holder that is going away (a process killed a moment
     * ago holds it until its server session notices the closed socket).
     *
     * @return whether the lock is held now
     * @throws LifeboatException naming the server when it cannot be reached
     */
    public boolean acquire(Duration releaseWait) {
        long deadline = System.nanoTime() + releaseWait.toNanos();
        try {
            while (!tryLock()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(RETRY.toMillis());
            }
            return true;
        } catch (SQLException e) {
            throw ConnectionFailure.describe(role, server, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while taking the lock " + String.join(" ", key), e);
        }
    }

    /** Checks the lock is still held, and takes it again on a new session after the old one was lost. */
    public synchronized Kept keep() {
        try {
            if (session != null && session.isValid(5)) {
                return Kept.HELD;
            }
            closeSession();
            return tryLock() ? Kept.TAKEN_AGAIN : Kept.TAKEN_BY_ANOTHER;
        } catch (SQLException | LifeboatException e) {
            log.debug("cannot take the lock {} on the {} yet: {}", key, role, e.getMessage());
            closeSession();
            return Kept.UNREACHABLE;
        }
    }

    /** The session holding the lock, for writes that should end with it; empty while not held. */
    public synchronized Optional<Connection> session() {
        return Optional.ofNullable(session);
    }

    /**
     * The lock's entry in {@code pg_locks} matches {@code classid = hashtext(first)} and {@code objid =
     * hashtext(second)} with {@code objsubid = 2} in the two-key form; callers looking up the holder bind this
     * lock's keys with {@link #bindKey}.
     */
    public void bindKey(PreparedStatement statement, int firstParameter) throws SQLException {
        for (int i = 0; i < key.size(); i++) {
            statement.setString(firstParameter + i, key.get(i));
        }
    }

    /** A new connection with the lock's settings (for looking up who holds it); the caller closes it. */
    public Connection open() {
        Properties properties = new Properties();
        properties.setProperty("user", server.user());
        server.password().ifPresent(secret -> properties.setProperty("password", secret.reveal()));
        properties.setProperty("sslmode", server.sslmode().configValue());
        String seconds = Long.toString(Math.max(1, server.connectTimeout().toSeconds()));
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", applicationName);
        try {
            return DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port() + "/"
                    + server.database(), properties);
        } catch (SQLException e) {
            throw ConnectionFailure.describe(role, server, e);
        }
    }

    private synchronized boolean tryLock() throws SQLException {
        Connection connection = open();
        boolean held = false;
        String call = key.size() == 1 ? "select pg_try_advisory_lock(hashtext(?))"
                : "select pg_try_advisory_lock(hashtext(?), hashtext(?))";
        try (PreparedStatement statement = connection.prepareStatement(call)) {
            bindKey(statement, 1);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                held = row.getBoolean(1);
            }
            if (held) {
                session = connection;
            }
            return held;
        } finally {
            if (!held) {
                connection.close();
            }
        }
    }

    private void closeSession() {
        if (session != null) {
            try {
                session.close();
            } catch (SQLException e) {
                log.debug("closing the lock session: {}", e.getMessage());
            }
            session = null;
        }
    }

    /** Lets go of the lock: closing its session ends it on the server. */
    @Override
    public synchronized void close() {
        closeSession();
    }
}
