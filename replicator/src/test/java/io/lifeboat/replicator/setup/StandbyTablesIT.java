package io.lifeboat.replicator.setup;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.replicator.ClusterPair;
import io.lifeboat.replicator.schema.SchemaMismatch;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Master and standby tables that differ as DDL on the master leaves them: each mismatch is named in one line with
 * SQL, and that SQL, run on the standby as printed, makes the standby's table fit the master's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandbyTablesIT {
    private ClusterPair pair;

    @BeforeAll
    void start() {
        pair = new ClusterPair();
    }

    @AfterAll
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aColumnTypeChangedOnTheMaster() throws SQLException {
        pair.master.execute("app", "create table typed (id int primary key, v bigint)");
        pair.standby.execute("app", "create table typed (id int primary key, v int)");
        assertFixed("typed", "public.typed: column v is bigint on master, integer on standby: ALTER TABLE public.typed"
                + " ALTER COLUMN v TYPE bigint on the standby");
    }

    @Test
    void aColumnDroppedOnTheMasterThatTheStandbyHolds() throws SQLException {
        pair.master.execute("app", "create table dropped (id int primary key, a text)");
        pair.standby.execute("app", "create table dropped (id int primary key, a text, b text not null, c int)");
        assertFixed("dropped", "public.dropped: column b exists only on standby; column c exists only on standby:"
                + " ALTER TABLE public.dropped DROP COLUMN b, DROP COLUMN c on the standby");
    }

    @Test
    void aTableMissingOnTheStandbyIsCreatedAsOnTheMaster() throws SQLException {
        pair.master.execute("app", "create table fresh (id bigint generated always as identity primary key,"
                + " name text not null default 'x', half numeric(10,2), doubled numeric generated always as"
                + " (half * 2) stored)");
        assertFixed("fresh", "public.fresh: table missing on standby: CREATE TABLE public.fresh (id bigint GENERATED"
                + " ALWAYS AS IDENTITY, name text DEFAULT 'x'::text NOT NULL, half numeric(10,2), doubled numeric"
                + " GENERATED ALWAYS AS ((half * (2)::numeric)) STORED, PRIMARY KEY (id)) on the standby");
    }

    @Test
    void aPartitionMissingOnTheStandbyIsCreatedAsAPartition() throws SQLException {
        pair.schema("create table events (at date not null, what text) partition by range (at);"
                + " create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01')");
        pair.master.execute("app", "create table events_2026 partition of events"
                + " for values from ('2026-01-01') to ('2027-01-01')");
        assertFixed("events_2026", "public.events_2026: table missing on standby: CREATE TABLE public.events_2026"
                + " PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') on the standby");
    }

    @Test
    void aTableRenamedOnTheMasterIsRenamedOnTheStandby() throws SQLException {
        pair.master.execute("app", "create schema sales; create table sales.\"Order Lines\" (id int primary key,"
                + " \"Qty\" int)");
        pair.standby.execute("app", "create schema sales; create table order_lines (id int primary key, \"Qty\" int)");
        assertFixed(new TableName("sales", "Order Lines"), "sales.Order Lines: table missing on standby, where"
                + " public.order_lines has its columns (renamed on master?): ALTER TABLE public.order_lines SET"
                + " SCHEMA sales; ALTER TABLE sales.order_lines RENAME TO \"Order Lines\" on the standby");
    }

    @Test
    void aColumnRenamedOnTheMaster() throws SQLException {
        pair.master.execute("app", "create table renamed_column (id int primary key, amount numeric, note text)");
        pair.standby.execute("app", "create table renamed_column (id int primary key, total numeric, note text)");
        assertFixed("renamed_column", "public.renamed_column: column amount is named total on standby (renamed on"
                + " master?): ALTER TABLE public.renamed_column RENAME COLUMN total TO amount on the standby");
    }

    @Test
    void aNotNullColumnAddedOnTheMaster_withAndWithoutDefault() throws SQLException {
        pair.master.execute("app", "create table added (id int primary key, qty int not null default 1,"
                + " code text not null)");
        pair.standby.execute("app", "create table added (id int primary key); insert into added values (1)");
        assertFixed("added", "public.added: column qty missing on standby; column code missing on standby:"
                + " ALTER TABLE public.added ADD COLUMN qty integer DEFAULT 1 NOT NULL, ADD COLUMN code text on the"
                + " standby");
    }

    @Test
    void aPrimaryKeyChangedOnTheMaster() throws SQLException {
        pair.master.execute("app", "create table versioned (id int, ver int, primary key (id, ver))");
        pair.standby.execute("app", "create table versioned (id int primary key, ver int not null)");
        assertFixed("versioned", "public.versioned: primary key is (id, ver) on master, (id) on standby: ALTER TABLE"
                + " public.versioned DROP CONSTRAINT versioned_pkey, ADD PRIMARY KEY (id, ver) on the standby");
    }

    @Test
    void nullabilityAndGenerationThatBreakApplying() throws SQLException {
        pair.master.execute("app", "create table shaped (id int primary key, a int, g int generated always as"
                + " (id * 2) stored, h int)");
        pair.standby.execute("app", "create table shaped (id int primary key, a int not null, g int,"
                + " h int generated always as (id * 3) stored)");
        assertFixed("shaped", "public.shaped: column a is NOT NULL on standby, nullable on master; column g is"
                + " generated on master, not on standby; column h is generated on standby, not on master: ALTER TABLE"
                + " public.shaped ALTER COLUMN a DROP NOT NULL, DROP COLUMN g, ADD COLUMN g integer GENERATED ALWAYS"
                + " AS ((id * 2)) STORED, ALTER COLUMN h DROP EXPRESSION on the standby");
    }

    @Test
    void aNullableColumnAddedOnTheMaster_isAddedWithoutPausing() throws SQLException {
        pair.master.execute("app", "create table grows (id int primary key, note text)");
        pair.standby.execute("app", "create table grows (id int primary key)");
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            SchemaMismatch mismatch = StandbyTables.compare(m, s, new TableName("public", "grows")).orElseThrow();
            assertThat(mismatch.fits()).isTrue();
            assertThat(mismatch.problems()).containsExactly("column note missing on standby");
            assertThat(StandbyTables.addColumns(s, mismatch)).containsExactly("note text");
            assertThat(StandbyTables.compare(m, s, new TableName("public", "grows")).orElseThrow().identical())
                    .isTrue();
        }
    }

    @Test
    void equalTablesAndLifeboatsOwn_areNotReported() throws SQLException {
        pair.schema("create table same (id int primary key, v text default 'a', g int generated always as (id) stored)");
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            Map<TableName, SchemaMismatch> all = StandbyTables.compare(m, s, TableCatalog.read(m).stream()
                    .filter(t -> t.name().name().equals("same")).toList());
            assertThat(all).isEmpty();
            assertThat(StandbyTables.compare(m, s, new TableName("lifeboat", "applied_position"))).isEmpty();
        }
    }

    private void assertFixed(String table, String line) throws SQLException {
        assertFixed(new TableName("public", table), line);
    }

    private void assertFixed(TableName table, String line) throws SQLException {
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            SchemaMismatch mismatch = StandbyTables.compare(m, s, table).orElseThrow();
            assertThat(mismatch.fits()).isFalse();
            assertThat(mismatch.line()).isEqualTo(line);
            try (var statement = s.createStatement()) {
                statement.execute(mismatch.fix());
            }
            Optional<SchemaMismatch> after = StandbyTables.compare(m, s, table);
            assertThat(after).hasValueSatisfying(a -> assertThat(a.identical()).as(a.toString()).isTrue());
        }
    }
}
