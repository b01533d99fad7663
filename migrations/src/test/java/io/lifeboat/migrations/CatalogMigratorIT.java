package io.lifeboat.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class CatalogMigratorIT {
    private static PostgresCluster standby;

    @BeforeAll
    static void startStandby() {
        standby = PostgresCluster.builder().start();
    }

    @AfterAll
    static void stopStandby() {
        if (standby != null) {
            standby.close();
        }
    }

    private static PGSimpleDataSource dataSource(String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(standby.jdbcUrl(database));
        ds.setUser(standby.superuser());
        return ds;
    }

    private static List<String> catalogTables(String database) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = dataSource(database).getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select table_name from information_schema.tables"
                     + " where table_schema = 'lifeboat' order by 1")) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        return tables;
    }

    @Test
    void emptyCluster_getsTheCatalogAndASecondRunChangesNothing() throws SQLException {
        standby.createDatabase("fresh");
        CatalogMigrator migrator = new CatalogMigrator(dataSource("fresh"));
        assertThat(migrator.currentVersion()).isEqualTo("none");

        CatalogMigrator.MigrationReport first = migrator.migrate();
        assertThat(first.applied()).isEqualTo(9);
        assertThat(first.version()).isEqualTo("9");
        assertThat(catalogTables("fresh"))
                .containsExactly("applied_position", "apply_progress", "event", "flyway_schema_history", "heartbeat",
                        "job", "master_position", "paused_table", "recovery", "service_instance", "snapshot_verification",
                        "streamed_transaction",
                        "validation");

        CatalogMigrator.MigrationReport again = new CatalogMigrator(dataSource("fresh")).migrate();
        assertThat(again.applied()).isZero();
        assertThat(again.version()).isEqualTo("9");
        assertThat(migrator.pendingCount()).isZero();
    }

    @Test
    void alreadyMigratedCatalog_keepsItsRows() throws SQLException {
        standby.createDatabase("kept");
        new CatalogMigrator(dataSource("kept")).migrate();
        standby.execute("kept", "insert into lifeboat.applied_position (slot_name, lsn) values ('lifeboat', '0/16B3748')");

        new CatalogMigrator(dataSource("kept")).migrate();

        try (Connection c = dataSource("kept").getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select lsn::text from lifeboat.applied_position")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("0/16B3748");
        }
    }

    @Test
    void aCatalogIsCurrentOnlyWithEveryMigrationApplied_andOneBehindGetsTheRest() throws SQLException {
        standby.createDatabase("behind");
        CatalogMigrator migrator = new CatalogMigrator(dataSource("behind"));
        assertThat(migrator.isCurrent()).isFalse();
        migrator.migrate();
        assertThat(migrator.isCurrent()).isTrue();

        // As if this build's newest migration had never run: the catalog is behind and migrate applies it.
        standby.execute("behind", "drop table lifeboat.master_position; drop table lifeboat.service_instance;"
                + " delete from lifeboat.flyway_schema_history where version = '9'");
        assertThat(migrator.isCurrent()).isFalse();
        CatalogMigrator.MigrationReport report = new CatalogMigrator(dataSource("behind")).migrate();
        assertThat(report.applied()).isEqualTo(1);
        assertThat(catalogTables("behind")).contains("master_position", "service_instance");
        assertThat(migrator.isCurrent()).isTrue();

        standby.execute("behind", "update lifeboat.flyway_schema_history set success = false where version = '9'");
        assertThat(migrator.isCurrent()).isFalse();
        standby.execute("behind", "update lifeboat.flyway_schema_history set success = true, type = 'DELETE'"
                + " where version = '9'");
        assertThat(migrator.isCurrent()).isFalse();
    }

    @Test
    void newestVersion_isTheHighestMigrationFile() throws Exception {
        // The sources, not the classpath: failsafe runs against the packaged jar.
        java.nio.file.Path folder = java.nio.file.Path.of("src/main/resources/db/migration");
        try (var files = java.nio.file.Files.list(folder)) {
            int highest = files.map(f -> f.getFileName().toString())
                    .filter(name -> name.matches("V\\d+__.*\\.sql"))
                    .mapToInt(name -> Integer.parseInt(name.substring(1, name.indexOf("__"))))
                    .max().orElseThrow();
            assertThat(CatalogMigrator.NEWEST).isEqualTo(highest);
        }
        try (var files = java.nio.file.Files.list(folder)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(name -> name.matches("V\\d+__.*\\.sql"))
                    .map(name -> Integer.parseInt(name.substring(1, name.indexOf("__")))).sorted().toList())
                    .isEqualTo(CatalogMigrator.VERSIONS);
        }
    }

    @Test
    void concurrentMigrators_applyEachMigrationOnce() throws Exception {
        standby.createDatabase("race");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<CatalogMigrator.MigrationReport>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Callable<CatalogMigrator.MigrationReport> run = () -> new CatalogMigrator(dataSource("race")).migrate();
                runs.add(pool.submit(run));
            }
            int applied = 0;
            for (Future<CatalogMigrator.MigrationReport> run : runs) {
                applied += run.get(60, TimeUnit.SECONDS).applied();
            }
            assertThat(applied).isEqualTo(CatalogMigrator.VERSIONS.size());
        } finally {
            pool.shutdownNow();
        }
        assertThat(catalogTables("race")).contains("applied_position", "job", "event");
    }

    @Test
    void readOnlyServer_givesOneClearErrorAndCreatesNothing() throws SQLException {
        standby.createDatabase("readonly");
        standby.execute("alter database readonly set default_transaction_read_only = on");

        assertThatThrownBy(() -> new CatalogMigrator(dataSource("readonly")).migrate())
                .isInstanceOf(LifeboatException.class)
                .hasMessageStartingWith("cannot migrate the catalog schema lifeboat (")
                .hasMessageNotContaining("\n");
        assertThat(catalogTables("readonly")).isEmpty();
    }
}
