package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master role with REPLICATION and nothing else, the way a careful operator makes one: {@code sync run} and
 * {@code config check --connect} name each missing privilege on one line with its GRANT, change nothing on the
 * master, and once exactly those fixes are applied {@code sync run} replicates.
 */
class MasterPrivilegesIT {
    @TempDir
    Path dir;
    private PostgresCluster master;
    private PostgresCluster standby;
    private Path config;

    @BeforeEach
    void clusters() throws IOException {
        master = PostgresCluster.builder().start();
        standby = PostgresCluster.builder().start();
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.createDatabase("app");
            cluster.execute("app", """
                    create table accounts (id int primary key, owner text);
                    create table settings (name text primary key, value text);
                    create table events (at timestamptz, what text);
                    create sequence invoice_no;
                    """);
        }
        master.execute("create role app_owner; create role lifeboat login replication");
        master.execute("app", """
                alter table accounts owner to app_owner;
                alter table events owner to app_owner;
                alter sequence invoice_no owner to app_owner;
                insert into accounts select g, 'o' || g from generate_series(1, 5) g;
                insert into settings values ('mode', 'on');
                insert into events values (now(), 'opened');
                select setval('invoice_no', 4000);
                """);
        config = dir.resolve("lifeboat.yml");
        Files.writeString(config, """
                master: {host: 127.0.0.1, port: %d, database: app, user: lifeboat, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                """.formatted(master.port(), standby.port()));
    }

    @AfterEach
    void stopClusters() {
        master.close();
        standby.close();
    }

    private static final List<String> MISSING = List.of(
            "error: user lifeboat lacks CREATE on database app on master (to create schema lifeboat and publication"
                    + " lifeboat); run on the master: GRANT CREATE ON DATABASE app TO lifeboat",
            "error: user lifeboat does not own public.accounts on master (owner app_owner; only a table's owner can"
                    + " publish it); run on the master: GRANT app_owner TO lifeboat",
            "error: user lifeboat does not own public.settings on master (owner postgres; only a table's owner can"
                    + " publish it); run on the master: ALTER TABLE public.settings OWNER TO lifeboat",
            "error: user lifeboat lacks SELECT on public.events on master (to copy it); run on the master:"
                    + " GRANT SELECT ON TABLE public.events TO lifeboat",
            "error: user lifeboat lacks SELECT on sequence public.invoice_no on master (to bring its value to the"
                    + " standby); run on the master: GRANT SELECT ON SEQUENCE public.invoice_no TO lifeboat");

    @Test
    void replicationRoleWithoutGrants_getsOneLinePerPrivilege_andTheirFixesAreExactlyEnough() throws Exception {
        ChildCommand refused = ChildCommand.startShortLived(dir.resolve("refused.log"), "-c", config.toString(), "sync",
                "run");
        assertThat(refused.exitCode(Duration.ofSeconds(60))).as(refused.output()).isEqualTo(2);
        assertThat(refused.lines()).containsExactlyElementsOf(MISSING);
        // Nothing was made on the master.
        assertThat(master.queryValue("select count(*) from pg_replication_slots")).isEqualTo("0");
        assertThat(value("select count(*) from pg_publication")).isEqualTo("0");
        assertThat(value("select count(*) from pg_namespace where nspname = 'lifeboat'")).isEqualTo("0");

        CommandRun check = CommandRun.of("-c", config.toString(), "config", "check", "--connect");
        assertThat(check.exitCode()).isEqualTo(2);
        assertThat(check.errLines()).containsExactlyElementsOf(MISSING);
        assertThat(check.out()).contains("# master 127.0.0.1:" + master.port() + ": connected (PostgreSQL");

        for (String line : MISSING) {
            master.execute("app", line.substring(line.indexOf("run on the master: ") + "run on the master: ".length()));
        }
        CommandRun ready = CommandRun.of("-c", config.toString(), "config", "check", "--connect");
        assertThat(ready.errLines()).isEmpty();
        assertThat(ready.out()).contains("# master 127.0.0.1:" + master.port()
                + ": ready for sync run (settings and privileges checked)");
        assertThat(ready.exitCode()).isZero();

        ChildCommand sync = ChildCommand.startShortLived(dir.resolve("sync.log"), "-c", config.toString(), "sync",
                "run");
        try {
            assertThat(ChildCommand.await(Duration.ofSeconds(60), () -> sync.output().contains("replicating ")))
                    .as(sync.output()).isTrue();
            master.execute("app", "insert into accounts values (6, 'late'); select nextval('invoice_no')");
            assertThat(ChildCommand.await(Duration.ofSeconds(60),
                    () -> "6|1|1|4001".equals(standbyValue("select (select count(*) from accounts) || '|' ||"
                            + " (select count(*) from settings) || '|' || (select count(*) from events) || '|' ||"
                            + " (select last_value from invoice_no)"))))
                    .as(sync.output()).isTrue();
            sync.signal("TERM");
            assertThat(sync.exitCode(Duration.ofSeconds(40))).isZero();
            assertThat(sync.output()).doesNotContain("ERROR", "WARN", "\tat ");
        } finally {
            sync.destroy();
        }

        // A privilege revoked later, met by a command outside the checks: the server's words, not a stack trace.
        master.execute("app", "revoke app_owner from lifeboat; revoke select on events from lifeboat");
        CommandRun validate = CommandRun.of("-c", config.toString(), "sync", "validate", "--table", "public.events");
        assertThat(validate.exitCode()).isEqualTo(2);
        assertThat(validate.errLines()).containsExactly("error: permission denied for table events",
                "hint: grant it to the configured user; lifeboat config check --connect lists every privilege"
                        + " sync run needs");
    }

    private String value(String sql) {
        try (var c = master.connect("app"); var s = c.createStatement(); var r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String standbyValue(String sql) {
        try (var c = standby.connect("app"); var s = c.createStatement(); var r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (java.sql.SQLException e) {
            return null;
        }
    }
}
