package io.lifeboat.archiver.dump;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.SslMode;
import io.lifeboat.testkit.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** pg_dumpall --globals-only as a superuser (with passwords) and as a plain replication user (without). */
class GlobalsDumpIT {
    private static PostgresCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PostgresCluster.builder().setting("fsync", "off").start();
        cluster.createDatabase("app");
        cluster.execute("CREATE ROLE shop_app LOGIN PASSWORD 'shop-secret'");
        cluster.execute("CREATE ROLE shop_readers NOLOGIN");
        cluster.execute("GRANT shop_readers TO shop_app");
        cluster.execute("CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'replicator-secret'");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static ConnectionConfig as(String user) {
        return new ConnectionConfig(cluster.host(), cluster.port(), "app", user, Optional.empty(), Optional.empty(),
                SslMode.DISABLE, Duration.ofSeconds(5));
    }

    private static Connection connect(String user) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        return DriverManager.getConnection(cluster.jdbcUrl("app"), properties);
    }

    @Test
    void aSuperuser_takesTheRolesWithTheirPasswordsAndMemberships() throws Exception {
        GlobalsDump dump;
        try (Connection connection = connect("postgres")) {
            dump = GlobalsDump.capture(as("postgres"), connection);
        }
        String sql = new String(dump.sql(), StandardCharsets.UTF_8);

        assertThat(dump.rolePasswords()).isTrue();
        assertThat(sql).contains("CREATE ROLE shop_app;", "CREATE ROLE shop_readers;", "NOLOGIN",
                "GRANT shop_readers TO shop_app GRANTED BY postgres;")
                .containsPattern("ALTER ROLE shop_app WITH .*LOGIN.* PASSWORD 'SCRAM-SHA-256\\$");
    }

    @Test
    void aReplicationUserThatIsNoSuperuser_takesTheRolesWithoutPasswords() throws Exception {
        GlobalsDump dump;
        try (Connection connection = connect("replicator")) {
            dump = GlobalsDump.capture(as("replicator"), connection);
        }
        String sql = new String(dump.sql(), StandardCharsets.UTF_8);

        assertThat(dump.rolePasswords()).isFalse();
        assertThat(dump.user()).isEqualTo("replicator");
        assertThat(sql).contains("CREATE ROLE shop_app;", "CREATE ROLE shop_readers;",
                "GRANT shop_readers TO shop_app GRANTED BY postgres;").doesNotContain("PASSWORD");
    }
}
