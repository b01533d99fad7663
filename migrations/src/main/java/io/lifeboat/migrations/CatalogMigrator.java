package io.lifeboat.migrations;

import io.lifeboat.core.error.LifeboatException;
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

    private final Flyway flyway;

    public CatalogMigrator(DataSource standby) {
        this.flyway = Flyway.configure()
                .dataSource(standby)
                .schemas(SCHEMA)
                .createSchemas(true)
                .locations("classpath:db/migration")
                .cleanDisabled(true)
                .validateMigrationNaming(true)
                .load();
    }

    /** @throws LifeboatException when a migration fails; Flyway rolls back the failed one */
    public MigrationReport migrate() {
        try {
            MigrateResult result = flyway.migrate();
            return new MigrationReport(result.migrationsExecuted, currentVersion());
        } catch (FlywayException e) {
            throw new LifeboatException("cannot migrate the catalog schema " + SCHEMA + " (" + firstLine(e) + ")",
                    "the standby must be writable by the configured user", e);
        }
    }

    /** The version the catalog is at, or {@code none} before the first migration. */
    public String currentVersion() {
        MigrationInfo current = flyway.info().current();
        return current == null ? "none" : current.getVersion().getVersion();
    }

    /** How many migrations are known but not yet applied. */
    public int pendingCount() {
        return flyway.info().pending().length;
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
