package io.lifeboat.cli.service;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.ConnectionFailure;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.error.LifeboatException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code lifeboat run} per catalog: a session-level advisory lock on a connection of its own to the standby
 * (where the catalog lives), held for the life of the process, so a killed process lets go of it with its
 * connection. {@code lifeboat.service_instance} names the holder (host, pid, since) for the refusal a second run
 * gets.
 */
public final class ServiceLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceLock.class);
    private static final String KEY = "lifeboat run";
    /** A run killed a moment ago holds the lock until its server session notices the closed socket. */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(2);

    private final ConnectionConfig standby;
    private final String host;
    private final long pid;
    private final Instant since;
    private Connection session;

    private ServiceLock(ConnectionConfig standby, Instant since) {
        this.standby = standby;
        this.host = hostName();
        this.pid = ProcessHandle.current().pid();
        this.since = since;
    }

    /**
     * Takes the lock and records this process as its holder.
     *
     * @throws LifeboatException {@code another lifeboat run holds this catalog (host db1, pid 1234, since …)}
     */
    public static ServiceLock lock(ConnectionConfig standby) {
        ServiceLock lock = new ServiceLock(standby, Instant.now());
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        try {
            while (!lock.tryLock()) {
                if (System.nanoTime() > deadline) {
                    throw new LifeboatException("another lifeboat run holds the catalog on " + standby.address() + "/"
                            + standby.database() + " (" + lock.holder() + ")",
                            "one service per catalog: stop that one first (a killed one lets go by itself)", null);
                }
                Thread.sleep(200);
            }
            lock.record();
            return lock;
        } catch (SQLException e) {
            lock.close();
            throw ConnectionFailure.describe(ServerRole.STANDBY, standby, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lock.close();
            throw new LifeboatException("interrupted while taking the service lock", e);
        }
    }

    /**
     * Checks the lock is still held and takes it again after its session was lost (a standby restart ends it).
     *
     * @return why this run must stop, when another run took the lock meanwhile
     */
    public synchronized Optional<String> keep() {
        try {
            if (session != null && session.isValid(5)) {
                return Optional.empty();
            }
            closeSession();
            if (tryLock()) {
                record();
                log.info("service lock on the standby taken again after its session was lost");
                return Optional.empty();
            }
            return Optional.of("another lifeboat run took the catalog (" + holder() + ") while this one's session on"
                    + " the standby was lost");
        } catch (SQLException | LifeboatException e) {
            // The standby is away; the lock is taken again when it is back.
            log.debug("cannot take the service lock on the standby yet: {}", e.getMessage());
            closeSession();
            return Optional.empty();
        }
    }

    private synchronized boolean tryLock() throws SQLException {
        Connection connection = open();
        boolean held = false;
        try (PreparedStatement statement = connection.prepareStatement("select pg_try_advisory_lock(hashtext(?))")) {
            statement.setString(1, KEY);
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

    private void record() throws SQLException {
        try (PreparedStatement upsert = session.prepareStatement("""
                insert into lifeboat.service_instance (id, host, pid, started_at) values (1, ?, ?, ?)
                on conflict (id) do update set host = excluded.host, pid = excluded.pid, started_at = excluded.started_at
                """)) {
            upsert.setString(1, host);
            upsert.setLong(2, pid);
            upsert.setObject(3, java.time.OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
            upsert.executeUpdate();
        }
    }

    /** {@code host db1, pid 1234, since 2026-12-04T17:36:03Z}, from the row the holder wrote. */
    private String holder() {
        try (Connection connection = open(); PreparedStatement select = connection.prepareStatement(
                "select host, pid, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                        + " from lifeboat.service_instance where id = 1")) {
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? "host " + row.getString(1) + ", pid " + row.getLong(2) + ", since " + row.getString(3)
                        : "its holder has not written its name yet";
            }
        } catch (SQLException | LifeboatException e) {
            return "holder unknown: " + e.getMessage();
        }
    }

    private Connection open() {
        Properties properties = new Properties();
        properties.setProperty("user", standby.user());
        standby.password().ifPresent(secret -> properties.setProperty("password", secret.reveal()));
        properties.setProperty("sslmode", standby.sslmode().configValue());
        String seconds = Long.toString(Math.max(1, standby.connectTimeout().toSeconds()));
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", "lifeboat run " + pid);
        try {
            return DriverManager.getConnection("jdbc:postgresql://" + standby.host() + ":" + standby.port() + "/"
                    + standby.database(), properties);
        } catch (SQLException e) {
            throw ConnectionFailure.describe(ServerRole.STANDBY, standby, e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown host");
        }
    }

    private void closeSession() {
        if (session != null) {
            try {
                session.close();
            } catch (SQLException e) {
                log.debug("closing the service lock session: {}", e.getMessage());
            }
            session = null;
        }
    }

    @Override
    public synchronized void close() {
        closeSession();
    }
}
