package io.lifeboat.replicator.setup;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.ConnectionFailure;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claim one {@code sync run} holds on its slot for as long as it runs: a session-level advisory lock on the
 * standby (the durable side: it holds the applied position every run starts from), keyed by the slot's name and
 * held on a connection of its own. It is taken before anything else, so a second run refuses before it copies or
 * streams anything, even while the first one has not yet connected to the slot on the master.
 *
 * <p>The holding session's application name carries the process id ({@code lifeboat sync run 1234}), so a
 * refusal names the other run: its pid, the address it connects from and when it started.
 */
public final class SlotLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlotLock.class);
    /** The first key of the two-key advisory lock; the second is the slot's name. Both hashed by the server. */
    private static final String NAMESPACE = "lifeboat sync run";
    private static final String APPLICATION = "lifeboat sync run ";
    private static final Pattern PID = Pattern.compile(Pattern.quote(APPLICATION) + "(\\d+)");
    /** A run killed a moment ago holds the lock until its server session notices the closed socket. */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(1);

    private final ConnectionConfig standby;
    private final String slot;
    private Connection session;

    private SlotLock(ConnectionConfig standby, String slot) {
        this.standby = standby;
        this.slot = slot;
    }

    /**
     * Takes the lock for {@code slot}.
     *
     * @throws LifeboatException {@code slot lifeboat is in use by another sync run (pid 1234 on 10.0.0.7, since …)}
     *                           when another run holds it, or naming the standby when it cannot be reached
     */
    public static SlotLock lock(ConnectionConfig standby, String slot) throws SQLException {
        SlotLock lock = new SlotLock(standby, slot);
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        while (true) {
            Optional<String> holder = lock.tryLock();
            if (holder.isEmpty()) {
                return lock;
            }
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("slot " + slot + " is in use by another sync run (" + holder.get() + ")",
                        "stop that one first: two runs on one slot would copy and apply over each other", null);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifeboatException("interrupted while waiting for slot " + slot, e);
            }
        }
    }

    /**
     * Checks the lock is still held and takes it again after its session was lost (a standby restart ends it).
     *
     * @return who holds it now when another run took it meanwhile: this run must stop
     */
    public synchronized Optional<String> keep() {
        try {
            if (session != null && session.isValid(5)) {
                return Optional.empty();
            }
            closeSession();
            Optional<String> holder = tryLock();
            if (holder.isEmpty()) {
                log.info("slot {}: lock on the standby taken again after its session was lost", slot);
            }
            return holder.map(h -> "slot " + slot + " was taken by another sync run (" + h + ") while this run's"
                    + " session on the standby was lost");
        } catch (SQLException | LifeboatException e) {
            // The standby is away: replication waits for it too, and the lock is taken again when it is back.
            log.debug("slot {}: cannot take the lock on the standby yet: {}", slot, e.getMessage());
            return Optional.empty();
        }
    }

    /** Takes the lock on a new session, or returns who holds it (and closes that session). */
    private synchronized Optional<String> tryLock() throws SQLException {
        Connection connection = open();
        boolean held = false;
        try (PreparedStatement statement = connection.prepareStatement(
                "select pg_try_advisory_lock(hashtext(?), hashtext(?))")) {
            statement.setString(1, NAMESPACE);
            statement.setString(2, slot);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                held = row.getBoolean(1);
            }
            if (held) {
                session = connection;
                return Optional.empty();
            }
            return Optional.of(holder(connection));
        } finally {
            if (!held) {
                connection.close();
            }
        }
    }

    /** {@code pid 1234 on 10.0.0.7, since 2026-11-22T02:57:20Z}: the other run, as the standby sees its session. */
    private String holder(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                select a.application_name, host(a.client_addr), a.client_hostname,
                       to_char(a.backend_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), l.pid
                from pg_locks l left join pg_stat_activity a on a.pid = l.pid
                where l.locktype = 'advisory' and l.granted and l.objsubid = 2
                  and l.database = (select oid from pg_database where datname = current_database())
                  and l.classid = hashtext(?)::oid and l.objid = hashtext(?)::oid
                """)) {
            statement.setString(1, NAMESPACE);
            statement.setString(2, slot);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return "it let go just now; try again";
                }
                Matcher pid = PID.matcher(String.valueOf(row.getString(1)));
                String who = pid.matches() ? "pid " + pid.group(1) : "standby backend pid " + row.getInt(5);
                String address = row.getString(2) != null ? row.getString(2) : "the standby's host";
                String since = row.getString(4) == null ? "" : ", since " + row.getString(4);
                return who + " on " + address + since;
            }
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
        properties.setProperty("ApplicationName", APPLICATION + ProcessHandle.current().pid());
        try {
            return DriverManager.getConnection("jdbc:postgresql://" + standby.host() + ":" + standby.port() + "/"
                    + standby.database(), properties);
        } catch (SQLException e) {
            throw ConnectionFailure.describe(ServerRole.STANDBY, standby, e);
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
