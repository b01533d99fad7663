package io.lifeboat.cli.service;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.ConnectionFailure;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.db.SessionLock;
import io.lifeboat.core.error.LifeboatException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code lifeboat run} per catalog: a {@link SessionLock} on the standby (where the catalog lives), held for
 * the life of the process. {@code lifeboat.service_instance} names the holder (host, pid, since) for the refusal a
 * second run gets.
 */
public final class ServiceLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceLock.class);
    private static final String KEY = "lifeboat run";
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(2);

    private final SessionLock lock;
    private final String host;
    private final long pid;
    private final Instant since;

    private ServiceLock(ConnectionConfig standby, Instant since) {
        this.host = hostName();
        this.pid = ProcessHandle.current().pid();
        this.since = since;
        this.lock = new SessionLock(standby, ServerRole.STANDBY, "lifeboat run " + pid, KEY);
    }

    /**
     * Takes the lock and records this process as its holder.
     *
     * @throws LifeboatException {@code another lifeboat run holds this catalog (host db1, pid 1234, since …)}
     */
    public static ServiceLock lock(ConnectionConfig standby) {
        ServiceLock claim = new ServiceLock(standby, Instant.now());
        if (!claim.lock.acquire(RELEASE_WAIT)) {
            throw new LifeboatException("another lifeboat run holds the catalog on " + standby.address() + "/"
                    + standby.database() + " (" + claim.holder() + ")",
                    "one service per catalog: stop that one first (a killed one lets go by itself)", null);
        }
        try {
            claim.record();
            return claim;
        } catch (SQLException e) {
            claim.close();
            throw ConnectionFailure.describe(ServerRole.STANDBY, standby, e);
        }
    }

    /**
     * Checks the lock is still held and takes it again after its session was lost (a standby restart ends it).
     *
     * @return why this run must stop, when another run took the lock meanwhile
     */
    public Optional<String> keep() {
        switch (lock.keep()) {
            case TAKEN_AGAIN -> {
                try {
                    record();
                } catch (SQLException e) {
                    log.debug("service lock taken again, its holder not recorded yet: {}", e.getMessage());
                }
                log.info("service lock on the standby taken again after its session was lost");
            }
            case TAKEN_BY_ANOTHER -> {
                return Optional.of("another lifeboat run took the catalog (" + holder() + ") while this one's session"
                        + " on the standby was lost");
            }
            case HELD, UNREACHABLE -> {
            }
        }
        return Optional.empty();
    }

    /** Written on the lock's own session, so the row names whoever holds the lock now. */
    private void record() throws SQLException {
        Optional<Connection> session = lock.session();
        if (session.isEmpty()) {
            return;
        }
        try (PreparedStatement upsert = session.get().prepareStatement("""
                insert into lifeboat.service_instance (id, host, pid, started_at) values (1, ?, ?, ?)
                on conflict (id) do update set host = excluded.host, pid = excluded.pid, started_at = excluded.started_at
                """)) {
            upsert.setString(1, host);
            upsert.setLong(2, pid);
            upsert.setObject(3, OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
            upsert.executeUpdate();
        }
    }

    /** {@code host db1, pid 1234, since 2026-12-04T17:36:03Z}, from the row the holder wrote. */
    private String holder() {
        try (Connection connection = lock.open(); PreparedStatement select = connection.prepareStatement(
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

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown host");
        }
    }

    @Override
    public void close() {
        lock.close();
    }
}
