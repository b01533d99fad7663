package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lifeboat sync run} as its own JVM, killed with SIGKILL at random moments while the master takes a steady
 * write load. Every master transaction moves money between two rows of {@code balances} and logs it in
 * {@code ledger}, so a standby holding half a transaction shows a non-zero total.
 */
class SyncCrashIT {
    private static final int KILLS = 20;
    private static final String BALANCES = "select md5(string_agg(b::text, ',' order by id)) from balances b";
    private static final String LEDGER = "select md5(string_agg(l::text, ',' order by id)), count(*) from ledger l";

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
                    create table balances (id int primary key, amount bigint not null);
                    create table ledger (id bigint primary key, from_id int, to_id int, amount bigint);
                    """);
        }
        master.execute("app", "insert into balances select g, 0 from generate_series(1, 100) g");
        config = dir.resolve("lifeboat.yml");
        Files.writeString(config, """
                master: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                replication:
                  batch: {max_rows: 500}
                """.formatted(master.port(), standby.port()));
    }

    @AfterEach
    void stopClusters() {
        master.close();
        standby.close();
    }

    private Process startSync(int round) throws IOException {
        // Each run lives seconds before its kill: started as the launcher starts its short commands.
        return new ProcessBuilder(ChildJvm.shortLivedCommand("256m", List.of("-c", config.toString(), "sync", "run")))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sync-" + round + ".log").toFile())
                .start();
    }

    private static String value(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect("app"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private String appliedLsn() {
        return value(standby, "select lsn::text from lifeboat.applied_position where slot_name = 'lifeboat'");
    }

    private long lsnValue(String lsn) {
        String[] parts = lsn.split("/");
        return (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
    }

    @Test
    void killedTwentyTimesUnderLoad_standbyIsAlwaysAtACommitAndEndsEqual() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        Thread load = new Thread(() -> {
            Random random = new Random(42);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            try (Connection c = master.connect("app"); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                while (writing.get() && System.nanoTime() < deadline) {
                    int from = 1 + random.nextInt(100);
                    int to = 1 + random.nextInt(100);
                    int amount = 1 + random.nextInt(1000);
                    long id = committed.get() + 1;
                    s.execute("update balances set amount = amount - " + amount + " where id = " + from);
                    s.execute("update balances set amount = amount + " + amount + " where id = " + to);
                    s.execute("insert into ledger values (" + id + ", " + from + ", " + to + ", " + amount + ")");
                    c.commit();
                    committed.set(id);
                    Thread.sleep(random.nextInt(3));
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "load");
        load.start();

        Random random = new Random(7);
        List<Long> positions = new ArrayList<>();
        try {
            for (int round = 0; round < KILLS; round++) {
                String before = appliedLsn();
                Process sync = startSync(round);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                // Even rounds kill at any moment, start-up included; odd rounds once this process has applied
                // something, so kills also land mid-stream however slow start-up is on a loaded machine.
                boolean midStream = round % 2 == 1;
                while ((appliedLsn() == null || midStream && appliedLsn().equals(before))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(500 + random.nextInt(3000));
                sync.destroyForcibly();
                assertThat(sync.waitFor(30, TimeUnit.SECONDS)).isTrue();

                String lsn = appliedLsn();
                assertThat(lsn).as("round %d wrote an applied position (see %s)", round,
                        dir.resolve("sync-" + round + ".log")).isNotNull();
                positions.add(lsnValue(lsn));
                // Every master transaction moves money between two accounts: a half-applied one shows here.
                assertThat(value(standby, "select sum(amount) from balances")).as("round %d", round).isEqualTo("0");
                assertThat(value(standby, "select count(*) = coalesce(max(id), 0) from ledger")).isEqualTo("t");
            }
        } finally {
            writing.set(false);
            load.join(30_000);
        }
        assertThat(committed.get()).as("the load kept running").isGreaterThan(1000);
        for (int i = 1; i < positions.size(); i++) {
            assertThat(positions.get(i)).as("applied position after kill %d", i).isGreaterThanOrEqualTo(positions.get(i - 1));
        }
        assertThat(positions.get(positions.size() - 1)).isGreaterThan(positions.get(0));

        Process last = startSync(KILLS);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            // Streaming first: a standby the last killed run left equal (the load stops after five minutes) would
            // otherwise have this run stopped while the JVM starts, before it handles SIGTERM at all.
            Path lastLog = dir.resolve("sync-" + KILLS + ".log");
            while (!Files.readString(lastLog).contains("replicating ") && last.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(lastLog)).as("the last run streams").contains("replicating ");
            while (!(value(master, LEDGER) + value(master, BALANCES)).equals(value(standby, LEDGER) + value(standby, BALANCES))
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(value(standby, "select count(*) from ledger")).isEqualTo(Long.toString(committed.get()));
            assertThat(value(standby, LEDGER)).isEqualTo(value(master, LEDGER));
            assertThat(value(standby, BALANCES)).isEqualTo(value(master, BALANCES));
        } finally {
            last.destroy();
            assertThat(last.waitFor(30, TimeUnit.SECONDS)).as("sync run stops on SIGTERM").isTrue();
        }
        assertThat(last.exitValue()).as("exit code after SIGTERM").isZero();
    }
}
