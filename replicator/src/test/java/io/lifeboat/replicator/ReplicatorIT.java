package io.lifeboat.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.ReplicationConfig;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class ReplicatorIT {
    private ClusterPair pair;
    private Replicator replicator;
    private BackgroundReplication replication;

    static ReplicationConfig config(Duration fullcopyInterval) {
        return new ReplicationConfig("lifeboat", "lifeboat", List.of(), List.of(), List.of(), fullcopyInterval, 20_000,
                Duration.ofMillis(100), DataSize.ofGibibytes(10));
    }

    static PGSimpleDataSource dataSource(io.lifeboat.testkit.PostgresCluster cluster) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(cluster.jdbcUrl("app"));
        ds.setUser(cluster.superuser());
        return ds;
    }

    @BeforeEach
    void start() {
        pair = new ClusterPair();
        pair.schema("""
                create table accounts (id int primary key, owner text, balance numeric(12,2));
                create table lines (order_id int, line int, sku text, primary key (order_id, line));
                create table docs (id int primary key, title text, body text, blob bytea, meta jsonb);
                create table audit_no_pk (at int, what text);
                """);
        pair.master.execute("app", """
                insert into accounts select g, 'owner ' || g, g * 1.5 from generate_series(1, 1000) g;
                insert into audit_no_pk select g, 'before start' from generate_series(1, 10) g;
                """);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (replication != null) {
            replication.close();
        }
        pair.close();
    }

    private void startReplicator(Duration fullcopyInterval) {
        replicator = new Replicator(ClusterPair.config(pair.master), config(fullcopyInterval),
                dataSource(pair.master), dataSource(pair.standby));
        replication = replicator.startInBackground();
    }

    private void awaitEqual(String query) {
        eventually(Duration.ofSeconds(60), () -> ClusterPair.rows(pair.standby, query)
                .equals(ClusterPair.rows(pair.master, query)));
        assertThat(ClusterPair.rows(pair.standby, query)).isEqualTo(ClusterPair.rows(pair.master, query));
    }

    private void eventually(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (replication.failure().isPresent()) {
                throw new AssertionError("replicator failed", replication.failure().get());
            }
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Test
    void initialSyncThenEveryKindOfChange_leavesTheStandbyEqual() {
        startReplicator(Duration.ofSeconds(2));
        awaitEqual("select * from accounts order by id");

        pair.master.execute("app", """
                begin;
                insert into accounts values (1001, 'new', 1), (1002, 'new', 2);
                update accounts set balance = balance + 100 where id <= 10;
                delete from accounts where id between 500 and 599;
                commit;
                update accounts set id = 5000 where id = 1;
                insert into lines select o, l, 'sku' || o || '-' || l from generate_series(1, 20) o, generate_series(1, 5) l;
                delete from lines where line = 3;
                update lines set line = 30 where order_id = 7 and line = 4;
                """);
        awaitEqual("select * from accounts order by id");
        awaitEqual("select * from lines order by order_id, line");

        pair.master.execute("app", "truncate lines; insert into lines values (1, 1, 'after truncate')");
        awaitEqual("select * from lines order by order_id, line");
    }

    @Test
    void anUpdateThatLeavesToastedValuesAlone_keepsThemOnTheStandby() {
        startReplicator(Duration.ofMinutes(10));
        pair.master.execute("app", """
                insert into docs
                select 1, 'first', string_agg(md5(random()::text), ''), decode(string_agg(md5(random()::text), ''), 'hex'),
                       jsonb_build_object('k', string_agg(md5(random()::text), ''))
                from generate_series(1, 400);
                """);
        String all = "select id, title, md5(body), md5(blob), md5(meta::text), length(body) from docs order by id";
        awaitEqual(all);
        assertThat(ClusterPair.rows(pair.master, "select pg_column_size(body) < length(body) or length(body) > 8000"
                + " from docs")).containsExactly("t");

        pair.master.execute("app", "update docs set title = 'renamed' where id = 1");
        awaitEqual(all);
        assertThat(ClusterPair.rows(pair.standby, "select title, body like '__debezium%' from docs"))
                .containsExactly("renamed|f");
    }

    @Test
    void tablesWithoutAPrimaryKey_areCopiedWholeOnTheirIntervalAndNeverBlockMasterWrites() {
        startReplicator(Duration.ofSeconds(1));
        awaitEqual("select * from audit_no_pk order by at, what");
        // Not in the publication, so updates and deletes on the master keep working.
        pair.master.execute("app", "update audit_no_pk set what = 'changed' where at <= 5;"
                + " delete from audit_no_pk where at = 10; insert into audit_no_pk values (11, 'new')");
        awaitEqual("select * from audit_no_pk order by at, what");
    }

    @Test
    void schemaDrift_addsNullableColumnsAndPausesOnlyTheTableThatCannotBeFixed() {
        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select * from accounts order by id");

        // A nullable column added on the master only: added on the standby by itself.
        pair.master.execute("app", "alter table accounts add column note text;"
                + " update accounts set note = 'noted' where id <= 3");
        awaitEqual("select * from accounts order by id");

        // A NOT NULL column the standby lacks: that table pauses, the others go on.
        pair.master.execute("app", "alter table lines add column qty int not null default 1;"
                + " insert into lines values (1, 1, 'a', 5), (1, 2, 'b', 6)");
        pair.master.execute("app", "update accounts set balance = 0 where id = 10");
        awaitEqual("select * from accounts order by id");
        eventually(Duration.ofSeconds(30), () -> ClusterPair.rows(pair.standby,
                "select count(*) from lifeboat.paused_table").equals(List.of("1")));
        assertThat(ClusterPair.rows(pair.standby, "select table_name, reason from lifeboat.paused_table"))
                .containsExactly("public.lines|public.lines: column qty missing on standby: ALTER TABLE public.lines"
                        + " ADD COLUMN qty integer DEFAULT 1 NOT NULL on the standby");
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from lines")).containsExactly("0");

        // The operator fixes the standby: the table is copied again and resumes, nothing lost.
        pair.master.execute("app", "insert into lines values (2, 1, 'while paused', 7)");
        pair.standby.execute("app", "alter table lines add column qty int not null default 1");
        awaitEqual("select * from lines order by order_id, line");
        eventually(Duration.ofSeconds(30), () -> ClusterPair.rows(pair.standby,
                "select count(*) from lifeboat.paused_table").equals(List.of("0")));
        pair.master.execute("app", "update lines set qty = 70 where order_id = 2");
        awaitEqual("select * from lines order by order_id, line");
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from lifeboat.paused_table")).containsExactly("0");
    }

    @Test
    void aLostSlot_isRecreatedAndEveryTableCopiedAgain() throws InterruptedException {
        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select * from accounts order by id");
        replication.close();

        // While nothing replicates, the master removes WAL the slot still needs: the slot is lost.
        pair.master.execute("alter system set max_slot_wal_keep_size = '1MB'");
        pair.master.execute("select pg_reload_conf()");
        for (int i = 0; i < 6 && !ClusterPair.rows(pair.master, "select wal_status from pg_replication_slots")
                .equals(List.of("lost")); i++) {
            pair.master.execute("app", "insert into accounts select g, 'filler', 0 from generate_series(100000 + "
                    + i * 20000 + ", 119999 + " + i * 20000 + ") g; select pg_switch_wal(); checkpoint");
        }
        assertThat(ClusterPair.rows(pair.master, "select wal_status from pg_replication_slots")).containsExactly("lost");
        pair.master.execute("alter system reset max_slot_wal_keep_size");
        pair.master.execute("select pg_reload_conf()");

        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select count(*), sum(id) from accounts");
        awaitEqual("select * from accounts order by id");
        assertThat(ClusterPair.rows(pair.master, "select wal_status <> 'lost' from pg_replication_slots"))
                .containsExactly("t");
        pair.master.execute("app", "update accounts set owner = 'after recreation' where id = 2");
        awaitEqual("select * from accounts order by id");
    }

    @Test
    void aTableAddedBetweenRuns_isCopiedAndThenStreamed() throws InterruptedException {
        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select * from accounts order by id");
        replication.close();

        pair.schema("create table invoices (id int primary key, amount numeric)");
        pair.master.execute("app", "insert into invoices select g, g * 10 from generate_series(1, 500) g");
        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select * from invoices order by id");
        pair.master.execute("app", "update invoices set amount = 0 where id <= 5; delete from invoices where id > 490");
        awaitEqual("select * from invoices order by id");
    }

    @Test
    void masterRestartWalsenderKillAndStandbyRestart_areRiddenOut() {
        startReplicator(Duration.ofMinutes(10));
        awaitEqual("select * from accounts order by id");

        pair.master.restart();
        pair.master.execute("app", "update accounts set owner = 'after master restart' where id <= 100");
        awaitEqual("select * from accounts order by id");

        eventually(Duration.ofSeconds(30), () -> ClusterPair.rows(pair.master,
                "select count(*) from pg_replication_slots where active").equals(List.of("1")));
        pair.master.execute("select pg_terminate_backend(active_pid) from pg_replication_slots where active");
        pair.master.execute("app", "update accounts set owner = 'after walsender kill' where id <= 200");
        awaitEqual("select * from accounts order by id");

        pair.standby.restart();
        pair.master.execute("app", "update accounts set owner = 'after standby restart' where id <= 300");
        awaitEqual("select * from accounts order by id");

        pair.standby.kill();
        pair.master.execute("app", "delete from accounts where id > 900");
        pair.standby.start();
        awaitEqual("select * from accounts order by id");
        assertThat(replication.failure()).isEmpty();
    }
}
