package io.lifeboat.replicator.fullcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.ClusterPair;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.setup.MasterPrerequisites;
import io.lifeboat.replicator.setup.Publication;
import io.lifeboat.replicator.setup.ReplicationSlot;
import io.lifeboat.replicator.setup.StandbyTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class InitialSyncIT {
    private static ClusterPair pair;

    @BeforeAll
    static void start() {
        pair = new ClusterPair();
        pair.schema("""
                create table counter (id bigint primary key, note text);
                create table log_no_pk (at timestamptz default now(), line text,
                                        line_length int generated always as (length(line)) stored);
                """);
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void copiesASnapshotMatchingTheSlotStartWhileTheMasterTakesWrites() throws Exception {
        pair.master.execute("app", "insert into counter select g, 'before' from generate_series(1, 50000) g;"
                + " insert into log_no_pk (line) select 'line ' || g from generate_series(1, 1000) g");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong lastId = new AtomicLong(50000);
        Thread writer = new Thread(() -> {
            try (Connection c = pair.master.connect("app"); Statement s = c.createStatement()) {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (writing.get() && System.nanoTime() < deadline) {
                    s.execute("insert into counter values (" + lastId.incrementAndGet() + ", 'during')");
                }
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
        });
        writer.start();
        Thread.sleep(200);

        InitialSync.Result result;
        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
            MasterPrerequisites.check(master, "lifeboat");
            List<Table> tables = TableCatalog.read(master);
            assertThat(StandbyTables.compare(master, standby, tables)).isEmpty();
            Publication.ensure(master, "lifeboat", tables.stream().filter(Table::hasPrimaryKey).toList());
            ReplicationSlot.ExportedSnapshot snapshot =
                    ReplicationSlot.createExportingSnapshot(ClusterPair.config(pair.master), "lifeboat");
            result = InitialSync.run(snapshot, tables, "lifeboat", master, standby);
            Thread.sleep(200);
        } finally {
            writing.set(false);
            writer.join(10_000);
        }

        // A single writer committing ids in order: a consistent snapshot holds exactly a prefix 1..M.
        long copied = Long.parseLong(ClusterPair.rows(pair.standby, "select count(*) from counter").get(0));
        String max = ClusterPair.rows(pair.standby, "select max(id) from counter").get(0);
        assertThat(copied).isEqualTo(Long.parseLong(max)).isGreaterThan(50000);
        assertThat(lastId.get()).as("the master kept writing past the snapshot").isGreaterThan(copied);
        assertThat(ClusterPair.rows(pair.standby, "select count(*), count(distinct line), sum(line_length) from log_no_pk"))
                .isEqualTo(ClusterPair.rows(pair.master, "select count(*), count(distinct line), sum(line_length) from log_no_pk"));
        assertThat(result.rows()).isEqualTo(copied + 1000);

        // The standby records the slot's start point, which is where the slot will stream from.
        try (Connection standby = pair.standby.connect("app"); Connection master = pair.master.connect("app")) {
            assertThat(AppliedPosition.read(standby, "lifeboat")).contains(result.position());
            ReplicationSlot.SlotState slot = ReplicationSlot.state(master, "lifeboat").orElseThrow();
            assertThat(slot.confirmedFlush()).isEqualTo(result.position());
            assertThat(slot.plugin()).isEqualTo("pgoutput");
            assertThat(Publication.published(master, "lifeboat")).extracting(Object::toString)
                    .containsExactly("public.counter");
            ReplicationSlot.drop(master, "lifeboat");
        }
        assertThat(result.position()).isNotEqualTo(Lsn.ZERO);
    }

    @Test
    void masterWithoutLogicalWalLevelOrReplicationPrivilege_isRefusedWithTheFix() throws SQLException {
        try (Connection master = pair.master.connect("app"); Statement s = master.createStatement()) {
            s.execute("create role weak login");
            s.execute("set role weak");
            assertThatThrownBy(() -> MasterPrerequisites.check(master, "lifeboat"))
                    .hasMessage("user weak has no REPLICATION privilege on master");
            s.execute("reset role");
            s.execute("drop role weak");
        }
        try (var replica = io.lifeboat.testkit.PostgresCluster.builder().setting("wal_level", "replica").start();
             Connection c = replica.connect()) {
            assertThatThrownBy(() -> MasterPrerequisites.check(c, "lifeboat"))
                    .hasMessage("wal_level is 'replica' on master: set wal_level = logical and restart PostgreSQL");
        }
    }

    @Test
    void aStandbyReaderHoldingOneTableAndAskingForAnother_neverDeadlocksWithTheCopy() throws Exception {
        pair.master.execute("app", "insert into counter select g, 'x' from generate_series(1, 300000) g"
                + " on conflict do nothing");
        java.util.concurrent.atomic.AtomicReference<Throwable> syncFailure = new java.util.concurrent.atomic.AtomicReference<>();
        try (Connection reader = pair.standby.connect("app"); Statement read = reader.createStatement();
             Connection watcher = pair.standby.connect("app"); Statement watch = watcher.createStatement()) {
            // Whose deadlock check runs first is whose transaction dies: the reader's (3 s) before Lifeboat's (10 s),
            // so that a copy that locks as it goes kills the reader, as operators saw.
            watch.execute("alter system set deadlock_timeout = '10s'");
            watch.execute("select pg_reload_conf()");
            read.execute("set deadlock_timeout = '3s'");
            reader.setAutoCommit(false);
            // The copy goes in name order: counter, then log_no_pk. The reader holds the second and then asks for
            // the first: a copy that locks as it goes holds counter by then and waits for log_no_pk, and the reader,
            // waiting first, is the deadlock detector's victim.
            read.execute("select count(*) from log_no_pk");
            Thread sync = new Thread(() -> {
                try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
                    List<Table> tables = TableCatalog.read(master);
                    Publication.ensure(master, "lifeboat", tables.stream().filter(Table::hasPrimaryKey).toList());
                    ReplicationSlot.ExportedSnapshot snapshot =
                            ReplicationSlot.createExportingSnapshot(ClusterPair.config(pair.master), "lifeboat");
                    InitialSync.run(snapshot, tables, "lifeboat", master, standby);
                } catch (Throwable e) {
                    syncFailure.set(e);
                }
            }, "initial-sync");
            sync.start();
            long deadline = System.nanoTime() + 8_000_000_000L;
            while (System.nanoTime() < deadline) {
                try (var held = watch.executeQuery("select count(*) from pg_locks where granted"
                        + " and mode = 'AccessExclusiveLock' and relation = 'counter'::regclass")) {
                    held.next();
                    if (held.getInt(1) > 0) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            read.execute("set statement_timeout = '20s'");
            read.execute("select count(*) from counter");
            reader.commit();
            sync.join(60_000);
            assertThat(sync.isAlive()).isFalse();
        } finally {
            pair.standby.execute("alter system reset deadlock_timeout; select pg_reload_conf()");
            try (Connection master = pair.master.connect("app")) {
                ReplicationSlot.drop(master, "lifeboat");
            }
        }
        assertThat(syncFailure.get()).isNull();
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from counter"))
                .isEqualTo(ClusterPair.rows(pair.master, "select count(*) from counter"));
    }
}
