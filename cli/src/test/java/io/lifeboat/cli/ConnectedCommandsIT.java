package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands against two real clusters; the master asks for a password (scram) as a production server would. */
class ConnectedCommandsIT {
    private static final String PASSWORD = "correct horse battery staple";
    private static PostgresCluster master;
    private static PostgresCluster standby;

    @TempDir
    Path dir;

    @BeforeAll
    static void startClusters() throws IOException {
        master = PostgresCluster.builder().start();
        standby = PostgresCluster.builder().start();
        for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
            cluster.createDatabase("app");
            cluster.execute("create role lifeboat login replication password '" + PASSWORD + "'");
            cluster.execute("app", "grant create on database app to lifeboat");
        }
        // The superuser keeps trust (the testkit connects as it); lifeboat must give its password.
        Path hba = master.dataDirectory().resolve("pg_hba.conf");
        String rules = Files.readString(hba);
        Files.writeString(hba, "host all lifeboat 127.0.0.1/32 scram-sha-256\n" + rules,
                StandardOpenOption.TRUNCATE_EXISTING);
        master.queryValue("select pg_reload_conf()");
    }

    @AfterAll
    static void stopClusters() {
        if (master != null) {
            master.close();
        }
        if (standby != null) {
            standby.close();
        }
    }

    private Path config(String masterPassword, String masterDatabase) throws IOException {
        Path passwordFile = dir.resolve("master.password");
        Files.writeString(passwordFile, masterPassword + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, """
                master:
                  host: 127.0.0.1
                  port: %d
                  database: %s
                  user: lifeboat
                  password_file: master.password
                  sslmode: disable
                standby:
                  host: 127.0.0.1
                  port: %d
                  database: app
                  user: lifeboat
                  sslmode: disable
                """.formatted(master.port(), masterDatabase, standby.port()));
        return file;
    }

    @Test
    void configCheckConnect_reportsBothServers() throws IOException {
        CommandRun run = CommandRun.of("-c", config(PASSWORD, "app").toString(), "config", "check", "--connect");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains(
                "# master 127.0.0.1:" + master.port() + ": connected (PostgreSQL 15",
                "# standby 127.0.0.1:" + standby.port() + ": connected (PostgreSQL 15")
                .contains("wal_level logical");
    }

    @Test
    void wrongPassword_isOneClearLineAndNeverShowsThePassword() throws IOException {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level level = root.getLevel();
        CommandRun run;
        try {
            run = CommandRun.of("-v", "-c", config("wrong-secret-42", "app").toString(),
                    "config", "check", "--connect");
        } finally {
            root.setLevel(level);
        }
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly(
                "error: cannot connect to master 127.0.0.1:" + master.port()
                        + " (password authentication failed for user lifeboat)",
                "hint: check master.password or master.password_file");
        assertThat(run.out() + run.err()).doesNotContain("wrong-secret-42").doesNotContain(PASSWORD);
    }

    @Test
    void missingDatabase_isNamed() throws IOException {
        CommandRun run = CommandRun.of("-c", config(PASSWORD, "nosuchdb").toString(), "config", "check", "--connect");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly(
                "error: cannot connect to master 127.0.0.1:" + master.port() + " (database nosuchdb does not exist)",
                "hint: check master.database");
    }

    @Test
    void catalogMigrate_createsTheCatalogOnTheStandbyOnlyAndIsRepeatable() throws IOException {
        Path file = config(PASSWORD, "app");
        CommandRun first = CommandRun.of("-c", file.toString(), "catalog", "migrate");
        assertThat(first.err()).isEmpty();
        assertThat(first.exitCode()).isZero();
        assertThat(first.out()).isEqualTo("catalog lifeboat on standby 127.0.0.1:" + standby.port()
                + ": at version 9 (9 migrations applied)\n");

        CommandRun again = CommandRun.of("-c", file.toString(), "catalog", "migrate");
        assertThat(again.out()).endsWith(": at version 9 (0 migrations applied)\n");
        CommandRun status = CommandRun.of("-c", file.toString(), "catalog", "status");
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).endsWith(": at version 9, 0 pending\n");

        assertThat(standby.queryValue("select count(*) from pg_namespace where nspname = 'lifeboat'")).isEqualTo("0");
        assertThat(master.queryValue("select count(*) from pg_namespace where nspname = 'lifeboat'")).isEqualTo("0");
        // The catalog is in the standby's configured database.
        try (var c = standby.connect("app"); var s = c.createStatement();
             var r = s.executeQuery("select count(*) from information_schema.tables where table_schema = 'lifeboat'")) {
            r.next();
            assertThat(r.getInt(1)).isEqualTo(13);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void syncFullcopy_copiesTablesWithoutAPrimaryKeyOnDemand() throws IOException {
        for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
            cluster.execute("app", "create table visits (path text, n int); grant all on visits to lifeboat");
        }
        master.execute("app", "insert into visits select '/p' || g, g from generate_series(1, 250) g");
        Path file = config(PASSWORD, "app");

        CommandRun unknown = CommandRun.of("-c", file.toString(), "sync", "fullcopy", "--table", "public.nope");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).containsExactly("error: not a fullcopy table: public.nope",
                "hint: fullcopy tables: public.visits");

        CommandRun run = CommandRun.of("-c", file.toString(), "sync", "fullcopy", "--table", "public.visits");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("1 fullcopy tables copied (250 rows)\n");
        try (var c = standby.connect("app"); var s = c.createStatement();
             var r = s.executeQuery("select count(*), sum(n) from visits")) {
            r.next();
            assertThat(r.getString(1) + "|" + r.getString(2)).isEqualTo("250|31375");
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }
}
