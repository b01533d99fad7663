package io.lifeboat.migrations;

import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings Lifeboat's catalog schema ({@code lifeboat}, on the standby) to the newest version. Safe to run on every
 * start and from several processes at once: Flyway serialises concurrent runs with an advisory lock.
 */
public final class CatalogMigrator {
    public static final String SCHEMA = "lifeboat";
    /**
     * Every migration this build carries ({@code db/migration/V<n>__*.sql}; a test holds the list and the files
     * equal). Numbers are reserved per feature, so the list may have gaps.
     */
    static final java.util.List<Integer> VERSIONS = java.util.List.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    /** The newest of them. */
    static final int NEWEST = java.util.Collections.max(VERSIONS);

    private final DataSource standby;
    private Flyway flyway;

    public CatalogMigrator(DataSource standby) {
        this.standby = standby;
    }

    private Flyway flyway() {
        if (flyway == null) {
            flyway = Flyway.configure()
                    .dataSource(standby)
                    .schemas(SCHEMA)
                    .createSchemas(true)
                    .locations("classpath:db/migration")
                    .cleanDisabled(true)
                    .validateMigrationNaming(true)
                    .load();
        }
        return flyway;
    }

    /** @throws LifeboatException when a migration fails; Flyway rolls back the failed one */
    public MigrationReport migrate() {
        // Nearly every command starts here, and nearly always the catalog is current: one query tells, where
        // Flyway's start (class loading, probing the database type) costs about a second on a busy 2-core host.
        if (isCurrent()) {
            return new MigrationReport(0, Integer.toString(NEWEST));
        }
        try {
            MigrateResult result = flyway().migrate();
            return new MigrationReport(result.migrationsExecuted, currentVersion());
        } catch (FlywayException e) {
            throw new LifeboatException("cannot migrate the catalog schema " + SCHEMA + " (" + firstLine(e) + ")",
                    "the standby must be writable by the configured user", e);
        }
    }

    /**
     * Whether exactly the migrations {@link #VERSIONS} are applied, all successfully. Anything else (no
     * history, a failed or unknown migration, no connection) is Flyway's to handle and report. Unlike Flyway, this
     * does not compare checksums: an applied migration edited in place goes unnoticed until the next one comes.
     */
    boolean isCurrent() {
        try (Connection connection = standby.getConnection(); Statement statement = connection.createStatement()) {
            try (ResultSet exists = statement.executeQuery(
                    "select to_regclass('" + SCHEMA + ".flyway_schema_history') is not null")) {
                if (!exists.next() || !exists.getBoolean(1)) {
                    return false;
                }
            }
            Set<String> applied = new HashSet<>();
            try (ResultSet rows = statement.executeQuery(
                    "select version, success, type = 'SQL' from " + SCHEMA + ".flyway_schema_history"
                            + " where version is not null")) {
                while (rows.next()) {
                    // A failed, repaired (DELETE) or undone row is Flyway's to judge.
                    if (!rows.getBoolean(2) || !rows.getBoolean(3)) {
                        return false;
                    }
                    applied.add(rows.getString(1));
                }
            }
            Set<String> expected = new HashSet<>();
            for (int version : VERSIONS) {
                expected.add(Integer.toString(version));
            }
            return applied.equals(expected);
        } catch (SQLException e) {
            return false;
        }
    }

    /** The version the catalog is at, or {@code none} before the first migration. */
    public String currentVersion() {
        MigrationInfo current = flyway().info().current();
        return current == null ? "none" : current.getVersion().getVersion();
    }

    /** How many migrations are known but not yet applied. */
    public int pendingCount() {
        return flyway().info().pending().length;
    }

    private static String firstLine(Exception e) {
        String message = String.valueOf(e.getMessage()).strip();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** What one {@link #migrate()} did. */
    public record MigrationReport(int applied, String version) {
    }
}
