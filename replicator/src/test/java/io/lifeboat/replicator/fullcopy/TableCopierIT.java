package io.lifeboat.replicator.fullcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.replicator.ClusterPair;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A whole-table copy rebuilds the standby's indexes exactly as they were, and leaves alone those it cannot. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TableCopierIT {
    /** Everything about the standby table's indexes that an operator or the planner relies on. */
    private static final String INDEX_FACTS = """
            select ic.relname || ' | ' || pg_get_indexdef(i.indexrelid) || ' | valid=' || i.indisvalid
                   || ' | replident=' || i.indisreplident || ' | clustered=' || i.indisclustered
                   || ' | comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '-')
                   || ' | constraints=' || coalesce((select string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid)
                                                           || ' ' || coalesce(obj_description(c.oid, 'pg_constraint'), '-'),
                                                           '; ' order by c.conname)
                                                     from pg_constraint c where c.conindid = i.indexrelid
                                                       and c.conrelid = i.indrelid), '-')
            from pg_index i join pg_class ic on ic.oid = i.indexrelid
            where i.indrelid = 'public.item'::regclass
            order by ic.relname
            """;
    private ClusterPair pair;

    @BeforeAll
    void start() {
        pair = new ClusterPair();
        pair.master.execute("app", "create extension btree_gist");
        pair.standby.execute("app", "create extension btree_gist");
        pair.schema("""
                create table item (id int constraint item_pk primary key with (fillfactor = 70), code text not null,
                                   kind text, price numeric, during tsrange, parent_code text,
                                   constraint item_code_key unique (code),
                                   constraint item_id_kind unique nulls not distinct (id, kind)
                                       with (deduplicate_items = off) deferrable initially deferred,
                                   constraint item_no_overlap exclude using gist (kind with =, during with &&));
                """);
        pair.standby.execute("app", """
                comment on constraint item_pk on item is 'the key';
                create index item_cheap on item (lower(kind)) with (fillfactor = 70) where price < 10;
                comment on index item_cheap is 'cheap items, it''s for the shop';
                create unique index item_identity on item (code, id);
                alter table item replica identity using index item_identity;
                create index item_price on item (price);
                alter table item cluster on item_price;
                create index item_by_kind on item (lower(kind), price);
                alter index item_by_kind alter column 1 set statistics 500;
                alter table item add constraint item_parent foreign key (parent_code) references item (code);
                """);
        pair.master.execute("app", "insert into item select g, 'c' || g, 'k' || (g % 7), g % 20,"
                + " tsrange('2026-01-01'::timestamp + g * interval '1 day', '2026-01-01'::timestamp"
                + " + (g + 1) * interval '1 day'), null from generate_series(1, 20000) g");
        pair.standby.execute("app", "insert into item values (1, 'stale', 'k', 1, null, null)");
        pair.schema("create table checked (id int primary key, v int)");
        pair.standby.execute("app", "alter table checked add constraint checked_small check (v < 15000);"
                + " insert into checked values (1, -1)");
        pair.master.execute("app", "insert into checked select g, g from generate_series(1, 20000) g");
        pair.schema("create table fresh (id int primary key, v text)");
        // A view that depends on the key (grouping by it) keeps the key from being dropped: it stays in place.
        pair.standby.execute("app", "insert into fresh values (1, 'old');"
                + " create view fresh_v as select id, v from fresh group by id");
        pair.master.execute("app", "insert into fresh select g, 'new' from generate_series(1, 1000) g");
        pair.schema("create table parent (id int primary key, name text);"
                + " create table child (id int primary key, parent_id int references parent (id) on delete cascade)");
        pair.master.execute("app", "insert into parent values (1, 'one'), (2, 'two'), (3, 'three')");
        pair.standby.execute("app", "insert into parent values (1, 'stale'), (2, 'two'), (9, 'gone');"
                + " insert into child values (1, 1), (2, 2);"
                + " create role plain login; grant all on parent, child to plain");
        pair.schema("create table z_parent (id int primary key);"
                + " create table a_child (id int primary key, parent_id int not null references z_parent (id))");
        pair.master.execute("app", "insert into z_parent values (1), (2); insert into a_child values (1, 1), (2, 2)");
        pair.schema("create table granted (id int primary key, v text)");
        pair.standby.execute("app", "grant all on granted to plain");
        pair.master.execute("app", "insert into granted select g, 'v' || g from generate_series(1, 100) g");
    }

    @AfterAll
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void estimatedRows_isThePlannersCountOnceAnalyzed() throws Exception {
        try (Connection master = pair.master.connect("app")) {
            Table table = TableCatalog.find(master, new TableName("public", "item")).orElseThrow();
            try (var statement = master.createStatement()) {
                statement.execute("analyze item");
            }
            // ANALYZE samples 30000 rows: a table of 20000 is counted exactly.
            assertThat(TableCopier.estimatedRows(master, table)).isEqualTo(20000);
        }
    }

    @Test
    void rebuildsTheIndexesItDroppedExactlyAndKeepsTheOthers() throws Exception {
        List<String> before = ClusterPair.rows(pair.standby, INDEX_FACTS);
        assertThat(before).hasSize(8);

        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
            Table table = TableCatalog.find(master, new TableName("public", "item")).orElseThrow();
            master.setAutoCommit(false);
            master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            standby.setAutoCommit(false);
            try (var statement = standby.createStatement()) {
                statement.execute("truncate only item");
            }
            // item_code_key is referenced by a foreign key and item_by_kind has a statistics target: those two
            // stay and are maintained during the load.
            assertThat(DeferredIndexes.drop(standby, table.name()).names()).containsExactly("item_cheap",
                    "item_id_kind", "item_identity", "item_no_overlap", "item_pk", "item_price");
            standby.rollback();

            List<Long> reported = new java.util.ArrayList<>();
            assertThat(TableCopier.replace(table, master, standby, reported::add)).isEqualTo(20000);
            // The progress hears of every row, in batches rather than row by row.
            assertThat(reported.stream().mapToLong(Long::longValue).sum()).isEqualTo(20000);
            assertThat(reported).hasSizeBetween(2, 20000 / 1024 + 1).allMatch(batch -> batch <= 1024);
            standby.commit();
            master.commit();
        }

        assertThat(ClusterPair.rows(pair.standby, INDEX_FACTS)).containsExactlyElementsOf(before);
        String rows = "select * from item order by id";
        assertThat(ClusterPair.rows(pair.standby, rows)).isEqualTo(ClusterPair.rows(pair.master, rows));
        // The rebuilt indexes are there for the planner and enforce what they did.
        assertThat(ClusterPair.rows(pair.standby, "explain (costs off) select * from item where id = 5").toString())
                .contains("item_pk");
        assertThat(ClusterPair.rows(pair.standby, """
                select count(*) from pg_constraint where conrelid = 'item'::regclass and contype = 'p'""").get(0))
                .isEqualTo("1");
    }

    @Test
    void aRowTheStandbyRefusesFailsTheCopyWithItsErrorAndKeepsTheOldRows() throws Exception {
        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
            Table table = TableCatalog.find(master, new TableName("public", "checked")).orElseThrow();
            master.setAutoCommit(false);
            standby.setAutoCommit(false);
            assertThatThrownBy(() -> TableCopier.replace(table, master, standby))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("violates check constraint \"checked_small\"");
            standby.rollback();
            master.rollback();
            // Both sessions are usable again: the master's COPY was cancelled, not left streaming.
            try (var statement = master.createStatement(); var row = statement.executeQuery("select 1")) {
                assertThat(row.next()).isTrue();
            }
        }
        assertThat(ClusterPair.rows(pair.standby, "select * from checked")).containsExactly("1|-1");
        assertThat(ClusterPair.rows(pair.standby, INDEX_FACTS.replace("public.item", "public.checked")))
                .hasSize(1).allMatch(facts -> facts.contains("checked_pkey") && facts.contains("valid=true"));
    }

    @Test
    void aReaderWhoseSnapshotIsOlderThanTheCopySeesTheNewRowsNotAnEmptyTable() throws Exception {
        try (Connection reader = pair.standby.connect("app")) {
            reader.setAutoCommit(false);
            reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (var statement = reader.createStatement(); var row = statement.executeQuery("select 1")) {
                assertThat(row.next()).isTrue(); // the reader's snapshot is taken here, before the copy
            }
            try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
                Table table = TableCatalog.find(master, new TableName("public", "fresh")).orElseThrow();
                master.setAutoCommit(false);
                master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                standby.setAutoCommit(false);
                assertThat(TableCopier.replace(table, master, standby)).isEqualTo(1000);
                standby.commit();
                master.commit();
            }
            // A truncated table's ordinary new rows would be invisible to this snapshot: the table would look empty.
            try (var statement = reader.createStatement();
                 var row = statement.executeQuery("select count(*), min(v) from fresh")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getLong(1)).isEqualTo(1000);
                assertThat(row.getString(2)).isEqualTo("new");
            }
            reader.rollback();
        }
    }

    @Test
    void aTableOtherTablesReferenceIsReplacedWithoutTouchingThem() throws Exception {
        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
            Table table = TableCatalog.find(master, new TableName("public", "parent")).orElseThrow();
            master.setAutoCommit(false);
            master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            standby.setAutoCommit(false);
            // TRUNCATE would refuse (child's foreign key), and deleting with the key's triggers on would cascade.
            assertThat(TableCopier.replace(table, master, standby)).isEqualTo(3);
            standby.commit();
            master.commit();
        }
        assertThat(ClusterPair.rows(pair.standby, "select * from parent order by id"))
                .containsExactly("1|one", "2|two", "3|three");
        assertThat(ClusterPair.rows(pair.standby, "select * from child order by id")).containsExactly("1|1", "2|2");
    }

    @Test
    void withoutTheRightsToSwitchTheForeignKeysOffTheCopyIsRefusedWithTheFix() throws Exception {
        try (Connection master = pair.master.connect("app");
             Connection standby = java.sql.DriverManager.getConnection(pair.standby.jdbcUrl("app"), "plain", "")) {
            Table table = TableCatalog.find(master, new TableName("public", "parent")).orElseThrow();
            master.setAutoCommit(false);
            standby.setAutoCommit(false);
            assertThatThrownBy(() -> TableCopier.replace(table, master, standby))
                    .isInstanceOf(io.lifeboat.core.error.LifeboatException.class)
                    .hasMessageStartingWith("cannot copy public.parent again: foreign keys of child point at it,"
                            + " and without session_replication_role = replica (");
            standby.rollback();
            master.rollback();
        }
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from child")).containsExactly("2");
    }

    @Test
    void anInitialSyncLoadsAReferencingTableBeforeTheTableItPointsAt() throws Exception {
        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app")) {
            master.setAutoCommit(false);
            master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            standby.setAutoCommit(false);
            // Name order, as InitialSync goes, all in one standby transaction: a_child's rows point at z_parent
            // rows that are not there yet.
            for (String name : List.of("a_child", "z_parent")) {
                Table table = TableCatalog.find(master, new TableName("public", name)).orElseThrow();
                assertThat(TableCopier.replace(table, master, standby)).isEqualTo(2);
            }
            standby.commit();
            master.commit();
        }
        assertThat(ClusterPair.rows(pair.standby, "select * from a_child order by id")).containsExactly("1|1", "2|2");
        assertThat(ClusterPair.rows(pair.standby, "select * from z_parent order by id")).containsExactly("1", "2");
    }

    @Test
    void whileATableOthersPointAtIsReplacedNoOtherSessionCanChangeIt() throws Exception {
        try (Connection master = pair.master.connect("app"); Connection standby = pair.standby.connect("app");
             Connection applier = pair.standby.connect("app")) {
            Table table = TableCatalog.find(master, new TableName("public", "parent")).orElseThrow();
            master.setAutoCommit(false);
            master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            standby.setAutoCommit(false);
            TableCopier.replace(table, master, standby);
            // A streamed change to a row the copy did not hold must wait for the copy, as it would for TRUNCATE.
            try (var statement = applier.createStatement()) {
                statement.execute("set lock_timeout = '200ms'");
                assertThatThrownBy(() -> statement.execute("insert into parent values (100, 'streamed')"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("lock timeout");
            }
            standby.rollback();
            master.rollback();
        }
    }

    @Test
    void aStandbyUserWhoDoesNotOwnTheTableCopiesItWithItsIndexesInPlace() throws Exception {
        try (Connection master = pair.master.connect("app");
             Connection standby = java.sql.DriverManager.getConnection(pair.standby.jdbcUrl("app"), "plain", "")) {
            Table table = TableCatalog.find(master, new TableName("public", "granted")).orElseThrow();
            master.setAutoCommit(false);
            master.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            standby.setAutoCommit(false);
            assertThat(TableCopier.replace(table, master, standby)).isEqualTo(100);
            standby.commit();
            master.commit();
        }
        String rows = "select * from granted order by id";
        assertThat(ClusterPair.rows(pair.standby, rows)).isEqualTo(ClusterPair.rows(pair.master, rows));
    }
}
