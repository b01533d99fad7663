package io.lifeboat.replicator.validate;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.replicator.ClusterPair;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The validator on its own, against two real servers without a stream between them: every value is typed in on
 * both sides, then one value at a time is changed on the standby, and exactly that row must be reported. The
 * changes include those a type's own hash cannot see (numeric scale, float sign of zero, interval units, jsonb
 * number scale), which a validator hashing values as stored would miss.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValidatorIT {
    private static final String SLOT = "validator_it";
    private static final String COLUMNS = """
            s smallint, b bigint, f boolean, u uuid, t text, v varchar(10), c char(5), ts timestamp,
            tz timestamptz, tm time, n numeric, d float8, i interval, j jsonb, y bytea, dt date, a int[],
            w varchar(10), e bpchar, k text[] collate ci""";
    private static final String ROWS = """
            (1, 7, 9000000000, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'héllo', 'v', 'ab',
             '2026-11-22 02:00:00.5', '2026-11-22 02:00:00.5+00', '12:00:01', 1.0, 0, '1 day', '{"a": 1.0}',
             '\\x00ff', '2026-11-22', '{1,NULL,3}', 'w', 'a', '{Foo}'),
            (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
             null, null, null, null),
            (3, 3, 3, false, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '', '', '', 'infinity', '-infinity',
             '00:00', 'NaN', 'Infinity', '-1 mon', '[]', '\\x', '4713-01-01 BC', '{}', '', '', '{}'),
            (4, 4, -5, true, 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'x', 'x', 'x', '2024-06-01 12:00:00',
             '2024-06-01 12:00:00+00', '00:00:00', 4, 4, '4 days', '4', '\\x04', '2024-06-01', '{4}', 'x', 'x',
             '{x}')""";

    private ClusterPair pair;
    /**
     * The pools {@code sync validate} gets (Pools.open): a validation opens some fifty connections, and a fresh
     * backend for each made connecting most of this class's time.
     */
    private HikariDataSource masterPool;
    private HikariDataSource standbyPool;
    private Validator validator;

    @BeforeAll
    void start() throws Exception {
        pair = new ClusterPair();
        pair.schema("create collation ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
                + "create table keyed (id int primary key, " + COLUMNS + ");"
                + "create table bag (id int, " + COLUMNS + ");"
                + "insert into keyed values " + ROWS + "; insert into bag values " + ROWS + ", " + ROWS);
        // The standby's column typed differently: both sides must then hash its text.
        pair.master.execute("app", "alter table keyed alter column w type text");
        try (Connection standby = pair.standby.connect("app")) {
            // Nothing streams here: the standby has "applied" every master position, so re-checks never wait.
            AppliedPosition.reset(standby, SLOT, Lsn.parse("FFFFFFFF/FFFFFFFF"));
        }
        masterPool = Pools.open(ServerRole.MASTER, ClusterPair.config(pair.master));
        standbyPool = Pools.open(ServerRole.STANDBY, ClusterPair.config(pair.standby));
        validator = new Validator(masterPool, standbyPool, SLOT);
    }

    @AfterAll
    void stop() {
        for (HikariDataSource pool : new HikariDataSource[] {masterPool, standbyPool}) {
            if (pool != null) {
                pool.close();
            }
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void equalTablesAreInSync() throws Exception {
        assertThat(validator.compare(table("keyed")).describe()).isEqualTo("public.keyed: in sync (4 rows)");
        assertThat(validator.compare(table("bag")).describe()).isEqualTo("public.bag: in sync (8 rows)");
    }

    @ParameterizedTest(name = "{0}: {2} -> {3}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "s  | 1 | 7 | 8",
        "b  | 1 | 9000000000 | 9000000001",
        "f  | 1 | true | false",
        "u  | 1 | 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' | 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'",
        "t  | 1 | 'héllo' | 'hello'",
        "t  | 3 | '' | null",
        "v  | 1 | 'v' | 'V'",
        "c  | 1 | 'ab' | 'ac'",
        "ts | 1 | '2026-11-22 02:00:00.5' | '2026-11-22 02:00:00.500001'",
        "tz | 1 | '2026-11-22 02:00:00.5+00' | '2026-11-22 02:00:00.5+01'",
        "tz | 3 | '-infinity' | 'infinity'",
        "tm | 1 | '12:00:01' | '12:00:02'",
        "n  | 1 | 1.0 | 1.00",
        "d  | 1 | 0 | '-0'",
        "i  | 1 | '1 day' | '24 hours'",
        "j  | 1 | '{\"a\": 1.0}' | '{\"a\": 1.00}'",
        "y  | 1 | '\\x00ff' | '\\x00fe'",
        "dt | 3 | '4713-01-01 BC' | '4712-01-01 BC'",
        "a  | 1 | '{1,NULL,3}' | '{1,3}'",
        "w  | 1 | 'w' | 'W'",
        "b  | 1 | 9000000000 | 410065410",
        "b  | 3 | 3 | 4294967298",
        "b  | 4 | -5 | 4294967291",
        "ts | 4 | '2024-06-01 12:00:00' | '2024-06-01 10:48:25.032705'",
        "tz | 4 | '2024-06-01 12:00:00+00' | '2024-06-01 10:48:25.032705+00'",
        "tm | 4 | '00:00:00' | '01:11:34.967297'",
        "e  | 1 | 'a' | 'a  '",
        "k  | 1 | '{Foo}' | '{foo}'",
        "s  | 2 | null | 0",
        "n  | 2 | null | 0",
    })
    void aChangedValueIsReportedForThatRowOnly(String column, int id, String before, String after) throws Exception {
        change("keyed", column, id, after);
        try {
            assertThat(validator.compare(table("keyed")).describe())
                    .isEqualTo("public.keyed: OUT OF SYNC: 1 row differs (keys " + id + ")");
        } finally {
            change("keyed", column, id, before);
        }
        assertThat(validator.compare(table("keyed")).inSync()).isTrue();

        change("bag", column, id, after, "ctid = (select min(ctid) from bag where id = " + id + ")");
        try {
            TableDifference bag = validator.compare(table("bag"));
            assertThat(bag.changed()).isEmpty();
            assertThat(bag.missing()).hasSize(1);
            assertThat(bag.extra()).hasSize(1);
        } finally {
            // Which copy was changed is not addressable afterwards: lay the table down again.
            pair.standby.execute("app", "truncate bag; insert into bag values " + ROWS + ", " + ROWS);
        }
        assertThat(validator.compare(table("bag")).inSync()).isTrue();
    }

    @Test
    void withNothingReplicating_differencesAreReportedWithoutWaitingOutEveryRecheck() throws Exception {
        try (Connection standby = pair.standby.connect("app")) {
            AppliedPosition.reset(standby, "stopped", Lsn.parse("0/1")); // a replicator that is not running now
        }
        Validator stalled = new Validator(masterPool, standbyPool, "stopped");
        change("keyed", "t", 1, "'changed'");
        try {
            long started = System.nanoTime();
            assertThat(stalled.compare(table("keyed")).describe())
                    .isEqualTo("public.keyed: OUT OF SYNC: 1 row differs (keys 1)");
            // No sync run holds the slot: five re-checks each waiting 30 s for a catch-up that cannot come took
            // minutes.
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(
                    java.time.Duration.ofSeconds(30));
        } finally {
            change("keyed", "t", 1, "'héllo'");
        }
    }

    private void change(String table, String column, int id, String value) throws SQLException {
        change(table, column, id, value, "id = " + id);
    }

    private void change(String table, String column, int id, String value, String where) throws SQLException {
        try (Connection standby = standbyPool.getConnection(); Statement statement = standby.createStatement()) {
            statement.execute("update " + table + " set " + column + " = " + value + " where " + where);
        }
    }

    private Table table(String name) throws Exception {
        try (Connection master = masterPool.getConnection()) {
            return TableCatalog.find(master, new TableName("public", name)).orElseThrow();
        }
    }
}
