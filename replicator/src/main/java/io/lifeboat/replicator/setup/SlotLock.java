package io.lifeboat.replicator.setup;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.db.SessionLock;
import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claim one {@code sync run} holds on its slot for as long as it runs: a {@link SessionLock} on the standby
 * (the durable side: it holds the applied position every run starts from), keyed by the slot's name. It is taken
 * before anything else, so a second run refuses before it copies or streams anything, even while the first one has
 * not yet connected to the slot on the master.
 *
 * <p>The holding session's application name carries the process id ({@code lifeboat sync run 1234}), so a
 * refusal names the other run: its pid, the address it connects from and when it started.
 */
public final class SlotLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlotLock.class);
    /** The first key of the two-key advisory lock; the second is the slot's name. */
    private static final String NAMESPACE = "lifeboat sync run";
    private static final String APPLICATION = "lifeboat sync run ";
    private static final Pattern PID = Pattern.compile(Pattern.quote(APPLICATION) + "(\\d+)");
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(1);

    private final String slot;
    private final SessionLock lock;

    private SlotLock(ConnectionConfig standby, String slot) {
        this.slot = slot;
        this.lock = new SessionLock(standby, ServerRole.STANDBY, APPLICATION + ProcessHandle.current().pid(),
                NAMESPACE, slot);
    }

    /**
     * Takes the lock for {@code slot}.
     *
     * @throws LifeboatException {@code slot lifeboat is in use by another sync run (pid 1234 on 10.0.0.7, since …)}
     *                           when another run holds it, or naming the standby when it cannot be reached
     */
    public static SlotLock lock(ConnectionConfig standby, String slot) {
        SlotLock claim = new SlotLock(standby, slot);
        if (!claim.lock.acquire(RELEASE_WAIT)) {
            throw new LifeboatException("slot " + slot + " is in use by another sync run (" + claim.holder() + ")",
                    "stop that one first: two runs on one slot would copy and apply over each other", null);
        }
        return claim;
    }

    /**
     * Checks the lock is still held and takes it again after its session was lost (a standby restart ends it).
     *
     * @return who holds it now when another run took it meanwhile: this run must stop
     */
    public Optional<String> keep() {
        return switch (lock.keep()) {
            case HELD, UNREACHABLE -> Optional.empty();
            case TAKEN_AGAIN -> {
                log.info("slot {}: lock on the standby taken again after its session was lost", slot);
                yield Optional.empty();
            }
            case TAKEN_BY_ANOTHER -> Optional.of("slot " + slot + " was taken by another sync run (" + holder()
                    + ") while this run's session on the standby was lost");
        };
    }

    /** {@code pid 1234 on 10.0.0.7, since 2026-11-22T02:57:20Z}: the other run, as the standby sees its session. */
    private String holder() {
        try (Connection connection = lock.open(); PreparedStatement statement = connection.prepareStatement("""
                select a.application_name, host(a.client_addr), a.client_hostname,
                       to_char(a.backend_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), l.pid
                from pg_locks l left join pg_stat_activity a on a.pid = l.pid
                where l.locktype = 'advisory' and l.granted and l.objsubid = 2
                  and l.database = (select oid from pg_database where datname = current_database())
                  and l.classid = hashtext(?)::oid and l.objid = hashtext(?)::oid
                """)) {
            lock.bindKey(statement, 1);
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
        } catch (SQLException | LifeboatException e) {
            return "holder unknown: " + e.getMessage();
        }
    }

    /** Lets go of the lock: closing its session ends it on the server. */
    @Override
    public void close() {
        lock.close();
    }
}
