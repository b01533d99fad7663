package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.SslMode;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.db.SessionLock;
import io.lifeboat.core.db.SessionLock.Kept;
import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The advisory lock {@code lifeboat run} and {@code sync run} hold for their lives, on a real server. */
class SessionLockIT {

    private static ConnectionConfig to(PostgresCluster cluster) {
        return new ConnectionConfig(cluster.host(), cluster.port(), "postgres", cluster.superuser(), Optional.empty(),
                Optional.empty(), SslMode.DISABLE, Duration.ofSeconds(3));
    }

    @Test
    void oneHolderAtATime_namedByItsApplication_andLetGoWithItsSession() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().start();
             SessionLock first = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat run 111", "lifeboat run");
             SessionLock second = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat run 222", "lifeboat run");
             SessionLock otherKey = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat sync run 333",
                     "lifeboat sync run", "slot_a")) {
            assertThat(first.acquire(Duration.ZERO)).isTrue();
            assertThat(second.acquire(Duration.ofMillis(500))).isFalse();
            assertThat(otherKey.acquire(Duration.ZERO)).as("another key is another lock").isTrue();
            assertThat(holders(cluster)).contains("lifeboat run 111", "lifeboat sync run 333")
                    .doesNotContain("lifeboat run 222");

            first.close();
            assertThat(second.acquire(Duration.ZERO)).isTrue();
            assertThat(first.keep()).as("the first let go, and the second holds it now").isEqualTo(Kept.TAKEN_BY_ANOTHER);
            assertThat(second.keep()).isEqualTo(Kept.HELD);
        }
    }

    @Test
    void aHolderKilledAMomentAgo_isWaitedFor() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().start();
             SessionLock waiting = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat run 2", "lifeboat run")) {
            SessionLock dying = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat run 1", "lifeboat run");
            assertThat(dying.acquire(Duration.ZERO)).isTrue();
            // The holder's backend is ended from outside, as a killed process's socket closing would end it.
            Thread ender = new Thread(() -> {
                try {
                    Thread.sleep(400);
                    terminate(cluster, "lifeboat run 1");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ender.start();
            assertThat(waiting.acquire(Duration.ofSeconds(10))).isTrue();
            ender.join(10_000);
            dying.close();
        }
    }

    @Test
    void aServerRestart_endsTheSession_andKeepTakesTheLockAgain() {
        try (PostgresCluster cluster = PostgresCluster.builder().start();
             SessionLock lock = new SessionLock(to(cluster), ServerRole.STANDBY, "lifeboat run 7", "lifeboat run")) {
            assertThat(lock.acquire(Duration.ZERO)).isTrue();
            cluster.stop();
            assertThat(lock.keep()).as("server away").isEqualTo(Kept.UNREACHABLE);
            cluster.start();
            assertThat(lock.keep()).isEqualTo(Kept.TAKEN_AGAIN);
            assertThat(lock.keep()).isEqualTo(Kept.HELD);
            assertThat(lock.session()).isPresent();
        }
    }

    @Test
    void anUnreachableServer_isNamedInOneLine() {
        try (PostgresCluster cluster = PostgresCluster.builder().start()) {
            ConnectionConfig config = to(cluster);
            cluster.stop();
            try (SessionLock lock = new SessionLock(config, ServerRole.STANDBY, "lifeboat run 9", "lifeboat run")) {
                assertThatThrownBy(() -> lock.acquire(Duration.ZERO)).isInstanceOf(LifeboatException.class)
                        .hasMessage("cannot connect to standby " + config.address() + " (connection refused)");
            }
        }
    }

    private static String holders(PostgresCluster cluster) throws Exception {
        try (Connection c = cluster.connect();
             Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select string_agg(a.application_name, ',') from pg_locks l"
                     + " join pg_stat_activity a using (pid) where l.locktype = 'advisory' and l.granted")) {
            rows.next();
            return String.valueOf(rows.getString(1));
        }
    }

    private static void terminate(PostgresCluster cluster, String application) throws Exception {
        try (Connection c = cluster.connect();
             Statement s = c.createStatement()) {
            s.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = '"
                    + application + "'");
        }
    }
}
