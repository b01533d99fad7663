package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.BackgroundReplication;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncValidateIT {
    @TempDir
    Path dir;
    private PostgresCluster master;
    private PostgresCluster standby;
    private Path config;
    private Pools pools;
    private BackgroundReplication replication;

    @BeforeEach
    void start() throws Exception {
        master = PostgresCluster.builder().start();
        standby = PostgresCluster.builder().start();
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.execute("""
                    create table accounts (id int primary key, owner text, balance bigint);
                    create table notes (at int, body text);
                    """);
        }
        master.execute("""
                insert into accounts select g, 'owner ' || g, g from generate_series(1, 20000) g;
                insert into notes select g % 50, 'note ' || (g % 50) from generate_series(1, 400) g;
                """);
        config = dir.resolve("lifeboat.yml");
        Files.writeString(config, """
                master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                """.formatted(master.port(), standby.port()));
        LifeboatConfig lifeboat = ConfigLoader.load(config).config();
        pools = new Pools(lifeboat);
        new CatalogMigrator(pools.standby()).migrate();
        replication = new Replicator(lifeboat.master(), lifeboat.replication(), pools.master(), pools.standby())
                .startInBackground();
        awaitValue(standby, "select count(*) from accounts", "20000");
    }

    @AfterEach
    void stop() throws Exception {
        replication.close();
        pools.close();
        master.close();
        standby.close();
    }

    private CommandRun sync(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "-c";
        all[1] = config.toString();
        all[2] = "sync";
        System.arraycopy(args, 0, all, 3, args.length);
        return CommandRun.of(all);
    }

    private static String value(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    private static void awaitValue(PostgresCluster cluster, String sql, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!expected.equals(value(cluster, sql)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(value(cluster, sql)).isEqualTo(expected);
    }

    @Test
    void findsExactlyEachKindOfDifferenceAndRepairsIt() {
        standby.execute("""
                update accounts set balance = balance + 1 where id = 17;
                update accounts set owner = null where id = 5;
                delete from accounts where id = 4031;
                insert into accounts values (99012, 'stray', 0);
                delete from notes where ctid = (select min(ctid) from notes where at = 3);
                insert into notes values (7, 'extra');
                update notes set body = null where ctid = (select min(ctid) from notes where at = 9);
                """);

        assertThat(sync("status").out()).contains("checked:  never validated (run lifeboat sync validate)");
        CommandRun found = sync("validate");
        assertThat(found.exitCode()).isEqualTo(2);
        List<String> lines = found.out().lines().toList();
        assertThat(lines).contains("public.accounts: OUT OF SYNC: 2 rows differ (keys 17, 5), 1 missing on standby"
                + " (4031), 1 extra on standby (99012)");
        assertThat(lines).anyMatch(line -> line.matches("public\\.notes: OUT OF SYNC: 2 missing on standby \\(row md5"
                + " \\w{8}, row md5 \\w{8}\\), 2 extra on standby \\(row md5 \\w{8}, row md5 \\w{8}\\)"));
        assertThat(lines.get(lines.size() - 1))
                .matches("2 of 2 tables OUT OF SYNC \\(\\d+ ms\\); repair with: lifeboat sync validate --repair");
        assertThat(sync("status").out()).containsPattern(
                "checked:  sync validate at \\S+Z: 2 of 2 tables OUT OF SYNC; last proven identical never");

        CommandRun one = sync("validate", "--table", "public.accounts", "--json");
        assertThat(one.exitCode()).isEqualTo(2);
        assertThat(one.out()).contains("\"in_sync\" : false", "\"changed\" : [ \"17\", \"5\" ]",
                "\"missing\" : [ \"4031\" ]", "\"extra\" : [ \"99012\" ]");

        CommandRun repaired = sync("validate", "--repair");
        assertThat(repaired.exitCode()).isZero();
        assertThat(repaired.out()).contains("public.accounts: repaired 4 keys (3 rows copied from the master)",
                "public.notes: copied again from the master (400 rows)",
                "public.accounts: in sync (20,000 rows)", "public.notes: in sync (400 rows)");

        CommandRun after = sync("validate");
        assertThat(after.exitCode()).isZero();
        assertThat(after.out()).containsPattern("all 2 tables in sync \\(\\d+ ms\\)");
        assertThat(value(standby, "select count(*) || '/' || sum(out_of_sync) from lifeboat.validation"))
                .isEqualTo("4/3");

        assertThat(sync("status").out()).containsPattern("checked:  sync validate at \\S+Z: all 2 tables in sync");

        // Most of a table gone: too many differences to list, so it is reported broadly and copied whole.
        standby.execute("delete from accounts where id > 5000");
        CommandRun broad = sync("validate", "--table", "public.accounts");
        assertThat(broad.exitCode()).isEqualTo(2);
        assertThat(broad.out()).containsPattern("public.accounts: OUT OF SYNC: [\\d,]+ of 4,096 buckets differ"
                + " \\(20,000 rows on master, 5,000 on standby\\); too many rows to list");
        CommandRun fixed = sync("validate", "--table", "public.accounts", "--repair");
        assertThat(fixed.out()).contains("public.accounts: copied again from the master (20000 rows)",
                "public.accounts: in sync (20,000 rows)");

        CommandRun unknown = sync("validate", "--table", "public.nope");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).containsExactly("error: not a replicated table: public.nope",
                "hint: replicated tables: public.accounts, public.notes");
    }

    @Test
    void underAWriteLoad_fiveValidationsInARowReportNoFalseDifference() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong writes = new AtomicLong();
        Thread load = new Thread(() -> {
            Random random = new Random(3);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            try (Connection c = master.connect(); Statement s = c.createStatement()) {
                while (writing.get() && System.nanoTime() < deadline) {
                    int id = 1 + random.nextInt(20000);
                    s.execute("update accounts set balance = balance + 1, owner = 'w" + writes.get() + "' where id = " + id);
                    if (random.nextInt(20) == 0) {
                        s.execute("insert into accounts values (" + (100000 + writes.get()) + ", 'new', 1)");
                    }
                    writes.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        load.start();
        try {
            for (int run = 0; run < 5; run++) {
                CommandRun validation = sync("validate", "--table", "public.accounts");
                assertThat(validation.out()).as("run %d", run).doesNotContain("OUT OF SYNC");
                assertThat(validation.exitCode()).as("run %d: %s", run, validation.out()).isZero();
            }
        } finally {
            writing.set(false);
            load.join(30_000);
        }
        assertThat(writes.get()).as("the load ran during the validations").isGreaterThan(500);
    }

    @Test
    void resyncWhileTheTableIsUpdated_losesNoChange() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            try (Connection c = master.connect(); Statement s = c.createStatement()) {
                for (int i = 0; writing.get() && System.nanoTime() < deadline; i++) {
                    s.execute("update accounts set balance = balance + 1 where id = " + (1 + i % 20000));
                    s.execute("insert into accounts values (" + (200000 + i) + ", 'during resync', " + i + ")");
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        load.start();
        try {
            Thread.sleep(500);
            CommandRun resync = sync("resync", "--table", "public.accounts");
            assertThat(resync.err()).isEmpty();
            assertThat(resync.exitCode()).isZero();
            assertThat(resync.out()).containsPattern("public.accounts: copied again \\(\\d+ rows in \\d+ ms\\)");
            Thread.sleep(500);
        } finally {
            writing.set(false);
            load.join(30_000);
        }
        String checksum = "select count(*) || ':' || sum(balance) || ':' || md5(string_agg(a::text, ',' order by id))"
                + " from accounts a";
        awaitValue(standby, checksum, value(master, checksum));
        assertThat(sync("validate").exitCode()).isZero();

        CommandRun usage = sync("resync");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.errLines()).first().isEqualTo("error: give --table T (repeatable) or --all");
    }
}
