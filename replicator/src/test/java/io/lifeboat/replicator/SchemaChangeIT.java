package io.lifeboat.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.replicator.status.ReplicationStatus;
import io.lifeboat.replicator.status.StatusReader;
import io.lifeboat.replicator.validate.Validator;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * DDL on the master while {@code sync run} runs, under a steady write load on other tables: each case pauses only
 * the changed table, with the SQL that fixes the standby, while the load tables keep replicating; once the
 * standby is fixed as the line says, the table resumes by itself and matches the master row by row. Restarts in
 * the middle still start. Every comparison is plain SQL on both servers, not Lifeboat's validate.
 */
class SchemaChangeIT {
    private static final Duration WAIT = Duration.ofSeconds(45);

    private ClusterPair pair;
    private BackgroundReplication replication;
    private Load load;

    @BeforeEach
    void start() {
        pair = new ClusterPair();
        pair.schema("""
                create table load_a (id bigint primary key, payload text, at timestamptz default now());
                create table load_b (id int primary key, n bigint not null);
                insert into load_b select g, 0 from generate_series(1, 100) g;
                create table t (id int primary key, v int, note text);
                create table d (id int primary key, a text, b text not null);
                """);
        pair.master.execute("app", "insert into t select g, g, 'row ' || g from generate_series(1, 300) g;"
                + " insert into d select g, 'a' || g, 'b' || g from generate_series(1, 50) g");
        startReplication();
        awaitEqual("select * from t order by id");
        load = new Load(pair);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            if (load != null) {
                load.stop();
            }
            if (replication != null) {
                replication.close();
            }
        } finally {
            pair.close();
        }
    }

    @Test
    void aTypeChangeThenAValueTheStandbyCannotHold_pausesThatTableWithTheFix() throws Exception {
        pair.master.execute("app", "alter table t alter column v type bigint;"
                + " insert into t values (1001, 5000000000, 'big'); update t set v = v + 1 where id <= 10");
        String fix = "ALTER TABLE public.t ALTER COLUMN v TYPE bigint";
        awaitPaused("t", "public.t: column v is bigint on master, integer on standby: " + fix + " on the standby");
        assertOtherTablesKeepReplicating();
        assertStatusWarns("public.t paused: column v is bigint on master, integer on standby: " + fix
                + " on the standby");

        pair.master.execute("app", "update t set note = 'while paused' where id between 20 and 30");
        pair.standby.execute("app", fix);
        awaitResumed("t");
        pair.master.execute("app", "insert into t values (1002, 6000000000, 'after')");
        assertAllEqualAfterTheLoad("select * from t order by id");
    }

    @Test
    void aTypeChangeIsNoticedBeforeAnyValueFails() throws Exception {
        pair.master.execute("app", "alter table t alter column note type varchar(20);"
                + " update t set note = 'short' where id <= 5");
        String fix = "ALTER TABLE public.t ALTER COLUMN note TYPE character varying(20)";
        awaitPaused("t", "public.t: column note is character varying(20) on master, text on standby: " + fix
                + " on the standby");
        assertOtherTablesKeepReplicating();
        pair.standby.execute("app", fix);
        awaitResumed("t");
        assertAllEqualAfterTheLoad("select * from t order by id");
    }

    @Test
    void aFreshCopyTheStandbyRefuses_leavesTheTablePausedAndIsTriedLessAndLessOften() throws Exception {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        ((Logger) LoggerFactory.getLogger(SchemaWatch.class)).addAppender(logged);
        try {
            pair.standby.execute("app", "alter table t add constraint small check (v < 1000)");
            pair.master.execute("app", "alter table t alter column v type bigint");
            String fix = "ALTER TABLE public.t ALTER COLUMN v TYPE bigint";
            awaitPaused("t", "public.t: column v is bigint on master, integer on standby: " + fix + " on the standby");
            pair.master.execute("app", "update t set v = 5000 where id = 1");

            pair.standby.execute("app", fix);
            String refused = "public.t: new row for relation \"t\" violates check constraint \"small\"";
            awaitPaused("t", refused);
            eventually(() -> copyFailures(logged).size() >= 2);
            assertThat(copyFailures(logged)).containsExactly(
                    "public.t: still paused: the fresh copy failed (" + refused.substring(10) + "); next try in 10s",
                    "public.t: still paused: the fresh copy failed (" + refused.substring(10) + "); next try in 20s");
            assertOtherTablesKeepReplicating();

            pair.standby.execute("app", "alter table t drop constraint small");
            awaitResumed("t");
            assertThat(copyFailures(logged)).hasSize(2);
            assertAllEqualAfterTheLoad("select * from t order by id");
        } finally {
            ((Logger) LoggerFactory.getLogger(SchemaWatch.class)).detachAppender(logged);
        }
    }

    private static List<String> copyFailures(ListAppender<ILoggingEvent> logged) {
        return List.copyOf(logged.list).stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("fresh copy failed")).toList();
    }

    @Test
    void aDroppedColumnTheStandbyHoldsAsNotNull_pausesThatTable() throws Exception {
        awaitEqual("select * from d order by id");
        pair.master.execute("app", "alter table d drop column b; insert into d values (51, 'a51')");
        String fix = "ALTER TABLE public.d DROP COLUMN b";
        awaitPaused("d", "public.d: column b exists only on standby: " + fix + " on the standby");
        assertOtherTablesKeepReplicating();
        pair.standby.execute("app", fix);
        awaitResumed("d");
        assertAllEqualAfterTheLoad("select * from d order by id");
    }

    @Test
    void aDroppedColumnTheStandbyHoldsAsNullable_isNotLeftStale() throws Exception {
        pair.master.execute("app", "alter table t drop column note; update t set v = -v where id <= 20");
        String fix = "ALTER TABLE public.t DROP COLUMN note";
        awaitPaused("t", "public.t: column note exists only on standby: " + fix + " on the standby");
        assertOtherTablesKeepReplicating();
        try (Connection m = pair.master.connect("app")) {
            Validator validator = new Validator(ReplicatorIT.dataSource(pair.master),
                    ReplicatorIT.dataSource(pair.standby), "lifeboat");
            assertThat(validator.compare(TableCatalog.find(m, new TableName("public", "t")).orElseThrow())
                    .describe()).startsWith("public.t: OUT OF SYNC: column note exists only on standby");
        }
        pair.standby.execute("app", fix);
        awaitResumed("t");
        assertAllEqualAfterTheLoad("select * from t order by id");
    }

    @Test
    void aRenamedTable_pausesWithTheRename_andSyncRunStillStartsAfterARestart() throws Exception {
        List<String> oldTableBefore = ClusterPair.rows(pair.standby, "select * from t order by id");
        pair.master.execute("app", "alter table t rename to t2; update t2 set v = 0 where id <= 50;"
                + " insert into t2 values (301, 301, 'new')");
        String fix = "ALTER TABLE public.t RENAME TO t2";
        String line = "public.t2: table missing on standby, where public.t has its columns (renamed on master?): "
                + fix + " on the standby";
        awaitPaused("t2", line);
        assertOtherTablesKeepReplicating();
        assertThat(ClusterPair.rows(pair.standby, "select * from t order by id"))
                .as("changes to the renamed table never land in the standby's old table").isEqualTo(oldTableBefore);
        assertStatusWarns("public.t2 paused: table missing on standby, where public.t has its columns (renamed on"
                + " master?): " + fix + " on the standby");

        restartReplication();
        assertOtherTablesKeepReplicating();
        assertThat(ClusterPair.rows(pair.standby, "select reason from lifeboat.paused_table where table_name ="
                + " 'public.t2'")).containsExactly(line);

        pair.standby.execute("app", fix);
        awaitResumed("t2");
        pair.master.execute("app", "delete from t2 where id between 100 and 110");
        assertAllEqualAfterTheLoad("select * from t2 order by id");
    }

    @Test
    void aTableCreatedOnTheMasterOnly_isNotReplicatedAndSaysWhy_untilTheStandbyHasIt() throws Exception {
        pair.master.execute("app", "create table fresh (id int primary key, qty int not null default 1, label text);"
                + " insert into fresh select g, g, 'l' || g from generate_series(1, 200) g");
        String fix = "CREATE TABLE public.fresh (id integer NOT NULL, qty integer DEFAULT 1 NOT NULL, label text,"
                + " PRIMARY KEY (id))";
        awaitPaused("fresh", "public.fresh: table missing on standby: " + fix + " on the standby");
        assertOtherTablesKeepReplicating();
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            ReplicationStatus status = StatusReader.read(config(), m, s);
            assertThat(status.tables()).filteredOn(row -> row.table().equals("public.fresh"))
                    .singleElement().satisfies(row -> {
                        assertThat(row.state()).isEqualTo("not replicated");
                        assertThat(row.rows()).isEqualTo(-1);
                    });
        }

        // Created while no sync run runs: status alone says it is not replicated, and why.
        replication.close();
        pair.master.execute("app", "create table later (id int primary key); insert into later values (1)");
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            ReplicationStatus status = StatusReader.read(config(), m, s);
            assertThat(status.problems()).contains("public.later: table missing on standby: CREATE TABLE"
                    + " public.later (id integer NOT NULL, PRIMARY KEY (id)) on the standby");
            assertThat(status.tables()).filteredOn(row -> row.table().equals("public.later"))
                    .extracting(ReplicationStatus.TableStatus::state).containsExactly("not replicated");
        }
        startReplication();
        awaitPaused("later", "public.later: table missing on standby: CREATE TABLE public.later (id integer NOT NULL,"
                + " PRIMARY KEY (id)) on the standby");
        assertOtherTablesKeepReplicating();
        pair.master.execute("app", "update fresh set label = 'changed before the standby had it' where id <= 10");

        pair.standby.execute("app", fix + "; create table later (id int primary key)");
        awaitResumed("fresh");
        awaitResumed("later");
        awaitEqual("select * from later");
        pair.master.execute("app", "update fresh set qty = 0 where id > 190; insert into fresh values (201, 2, 'x')");
        assertAllEqualAfterTheLoad("select * from fresh order by id");
    }

    @Test
    void tablesMissingOrRefusedOnTheStandbyAtTheFirstStart_arePausedAndEveryOtherTableReplicates() throws Exception {
        awaitEqual("select * from d order by id");
        replication.close();
        // The walsender can outlive the closed engine for a moment; a slot in use cannot be dropped.
        eventually(() -> ClusterPair.rows(pair.master, "select count(*) from pg_replication_slots where active")
                .equals(List.of("0")));
        pair.master.execute("select pg_drop_replication_slot('lifeboat')");
        pair.master.execute("app", "create table only_master (id int primary key, v text);"
                + " insert into only_master values (1, 'one'); update t set v = 0 where id <= 100;"
                + " update d set a = 'changed' where id <= 5");
        pair.standby.execute("app", "alter table d add constraint not_b7 check (b <> 'b7') not valid");
        List<String> standbyD = ClusterPair.rows(pair.standby, "select * from d order by id");
        startReplication();
        String fix = "CREATE TABLE public.only_master (id integer NOT NULL, v text, PRIMARY KEY (id))";
        awaitPaused("only_master", "public.only_master: table missing on standby: " + fix + " on the standby");
        awaitPaused("d", "public.d: new row for relation \"d\" violates check constraint \"not_b7\"");
        assertThat(ClusterPair.rows(pair.standby, "select * from d order by id"))
                .as("the refused copy left the standby's table as it was").isEqualTo(standbyD);
        awaitEqual("select * from t order by id");
        assertOtherTablesKeepReplicating();

        pair.standby.execute("app", fix + "; alter table d drop constraint not_b7");
        awaitResumed("only_master");
        awaitResumed("d");
        pair.master.execute("app", "insert into only_master values (2, 'two'); insert into d values (51, 'x', 'y')");
        awaitEqual("select * from d order by id");
        assertAllEqualAfterTheLoad("select * from only_master order by id");
    }

    @Test
    void aTableCreatedOnBothServers_isCopiedAndStreamedWithoutARestart() throws Exception {
        pair.schema("create table both_sides (id int primary key, v text)");
        pair.master.execute("app", "insert into both_sides select g, 'v' || g from generate_series(1, 500) g");
        awaitEqual("select * from both_sides order by id");
        pair.master.execute("app", "update both_sides set v = 'streamed' where id <= 100; delete from both_sides"
                + " where id > 450");
        assertAllEqualAfterTheLoad("select * from both_sides order by id");
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from lifeboat.paused_table")).containsExactly("0");
    }

    @Test
    void aPrimaryKeyWidenedOnTheMaster_pausesThatTableUntilTheStandbyHasTheSameKey() throws Exception {
        pair.master.execute("app", "alter table t drop constraint t_pkey, add primary key (id, v);"
                + " insert into t values (1, 2, 'same id, another row')");
        String fix = "ALTER TABLE public.t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (id, v)";
        awaitPaused("t", "public.t: primary key is (id, v) on master, (id) on standby: " + fix + " on the standby");
        assertOtherTablesKeepReplicating();
        pair.standby.execute("app", fix);
        awaitResumed("t");
        pair.master.execute("app", "insert into t values (2, 3, 'another')");
        assertAllEqualAfterTheLoad("select * from t order by id, v");
    }

    @Test
    void aPrimaryKeyDroppedOnTheMaster_leavesThePublicationSoMasterWritesWork_andTheTableIsCopiedWhole()
            throws Exception {
        pair.schema("alter table t alter column id set not null");
        pair.master.execute("app", "alter table t drop constraint t_pkey");
        pair.standby.execute("app", "alter table t drop constraint t_pkey");
        eventually(() -> ClusterPair.rows(pair.master, "select count(*) from pg_publication_tables where tablename"
                + " = 't'").equals(List.of("0")));
        pair.master.execute("app", "update t set note = 'no key now' where id <= 10; delete from t where id > 290");
        assertOtherTablesKeepReplicating();
        assertAllEqualAfterTheLoad("select * from t order by id, v, note");
    }

    // --- the harness

    private static ReplicationConfig config() {
        return new ReplicationConfig("lifeboat", "lifeboat", List.of(), List.of(), List.of(), Duration.ofSeconds(2),
                20_000, Duration.ofMillis(100), DataSize.ofGibibytes(10));
    }

    private void startReplication() {
        Replicator replicator = new Replicator(ClusterPair.config(pair.master), config(),
                ReplicatorIT.dataSource(pair.master), ReplicatorIT.dataSource(pair.standby));
        replication = replicator.startInBackground();
    }

    private void restartReplication() throws InterruptedException {
        replication.close();
        startReplication();
    }

    private void awaitPaused(String table, String reason) {
        String query = "select reason from lifeboat.paused_table where table_name = 'public." + table + "'";
        eventually(() -> ClusterPair.rows(pair.standby, query).equals(List.of(reason)));
        assertThat(ClusterPair.rows(pair.standby, query)).containsExactly(reason);
    }

    private void awaitResumed(String table) {
        String query = "select count(*) from lifeboat.paused_table where table_name = 'public." + table + "'";
        eventually(() -> ClusterPair.rows(pair.standby, query).equals(List.of("0")));
        assertThat(ClusterPair.rows(pair.standby, query)).containsExactly("0");
    }

    /** Rows the load commits on the master from now on reach the standby: replication of the others goes on. */
    private void assertOtherTablesKeepReplicating() {
        long committed = load.committed();
        eventually(() -> load.committed() > committed + 20);
        String arrived = "select exists (select from load_a where id = "
                + ClusterPair.rows(pair.master, "select max(id) from load_a").get(0) + ")";
        eventually(() -> ClusterPair.rows(pair.standby, arrived).equals(List.of("t")));
        assertThat(ClusterPair.rows(pair.standby, arrived)).containsExactly("t");
    }

    private void assertStatusWarns(String problem) throws SQLException {
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            ReplicationStatus status = StatusReader.read(config(), m, s);
            assertThat(status.health()).isEqualTo(ReplicationStatus.Health.WARNING);
            assertThat(status.problems()).contains(problem);
        }
    }

    /** Stops the load, then the changed table and both load tables must match the master row by row. */
    private void assertAllEqualAfterTheLoad(String query) throws InterruptedException {
        load.stop();
        assertThat(load.failure()).as("master writes never fail").isNull();
        assertThat(load.committed()).isGreaterThan(50);
        awaitEqual("select * from load_a order by id");
        awaitEqual("select * from load_b order by id");
        awaitEqual(query);
        assertThat(ClusterPair.rows(pair.standby, "select table_name, reason from lifeboat.paused_table")).isEmpty();
    }

    private void awaitEqual(String query) {
        eventually(() -> ClusterPair.rows(pair.standby, query).equals(ClusterPair.rows(pair.master, query)));
        assertThat(ClusterPair.rows(pair.standby, query)).isEqualTo(ClusterPair.rows(pair.master, query));
    }

    private void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (replication.failure().isPresent()) {
                throw new AssertionError("replication failed", replication.failure().get());
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

    /** Small transactions on the load tables, one after another, until stopped. */
    private static final class Load {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong committed = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Load(ClusterPair pair) {
            thread = new Thread(() -> {
                try (Connection c = pair.master.connect("app"); Statement s = c.createStatement()) {
                    for (long id = 1; running.get(); id++) {
                        s.execute("begin; insert into load_a (id, payload) values (" + id + ", md5('" + id + "'));"
                                + " update load_b set n = n + 1 where id = " + (id % 100 + 1) + "; commit");
                        committed.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (SQLException | RuntimeException e) {
                    failure.set(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "load");
            thread.start();
        }

        long committed() {
            return committed.get();
        }

        Throwable failure() {
            return failure.get();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
