package io.lifeboat.archiver.dump;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.db.SchemaFingerprint;
import io.lifeboat.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The schema fingerprint every manifest records: equal for equal tables, different for any column change. */
class SchemaFingerprintIT {
    private static PostgresCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PostgresCluster.builder().start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static SchemaFingerprint database(String name, String... ddl) throws SQLException {
        cluster.createDatabase(name);
        try (Connection connection = cluster.connect(name); Statement statement = connection.createStatement()) {
            for (String sql : ddl) {
                statement.execute(sql);
            }
            return SchemaFingerprint.of(connection);
        }
    }

    @Test
    void sameTablesAndColumns_sameFingerprint_whateverTheOrderDroppedColumnsIndexesAndLifeboatsCatalog()
            throws SQLException {
        SchemaFingerprint first = database("same_a",
                "CREATE TYPE mood AS ENUM ('ok', 'sad')",
                "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, qty int NOT NULL DEFAULT 1,"
                        + " mood mood, total numeric(12,2) GENERATED ALWAYS AS (qty * 2) STORED)",
                "CREATE TABLE notes (id serial, body text)");
        SchemaFingerprint second = database("same_b",
                "CREATE TABLE notes (id serial, gone int, body text)",
                "ALTER TABLE notes DROP COLUMN gone",
                "CREATE INDEX ON notes (body)",
                "CREATE TYPE mood AS ENUM ('ok', 'sad')",
                "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, qty int NOT NULL DEFAULT 1,"
                        + " mood mood, total numeric(12,2) GENERATED ALWAYS AS (qty * 2) STORED)",
                "CREATE SCHEMA lifeboat",
                "CREATE TABLE lifeboat.applied_position (slot_name text PRIMARY KEY, lsn pg_lsn)",
                "SET search_path = lifeboat, pg_catalog, public");

        assertThat(second).isEqualTo(first);
        assertThat(first.value()).matches("sha256:[0-9a-f]{64}");
        assertThat(first.tables()).isEqualTo(2);
    }

    @Test
    void anyColumnChange_changesTheFingerprint() throws SQLException {
        String table = "CREATE TABLE t (id int PRIMARY KEY, v varchar(10) NOT NULL DEFAULT 'x')";
        SchemaFingerprint base = database("change_base", table);

        assertThat(database("change_type", table.replace("varchar(10)", "varchar(11)"))).isNotEqualTo(base);
        assertThat(database("change_null", table.replace(" NOT NULL", ""))).isNotEqualTo(base);
        assertThat(database("change_default", table.replace("'x'", "'y'"))).isNotEqualTo(base);
        assertThat(database("change_name", table.replace(" v ", " w "))).isNotEqualTo(base);
        assertThat(database("change_order", "CREATE TABLE t (v varchar(10) NOT NULL DEFAULT 'x', id int PRIMARY KEY)"))
                .isNotEqualTo(base);
        assertThat(database("change_table", table.replace("TABLE t ", "TABLE u "))).isNotEqualTo(base);
        assertThat(database("change_more", table, "CREATE TABLE extra (id int)")).isNotEqualTo(base);
    }

    @Test
    void leavesTheSessionAsItFoundIt() throws SQLException {
        cluster.createDatabase("session");
        try (Connection connection = cluster.connect("session"); Statement statement = connection.createStatement()) {
            statement.execute("SET search_path = public");
            SchemaFingerprint.of(connection);
            assertThat(connection.getAutoCommit()).isTrue();
            try (var rs = statement.executeQuery("SHOW search_path")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("public");
            }
        }
    }
}
