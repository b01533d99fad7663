package io.lifeboat.cli;

import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "catalog", mixinStandardHelpOptions = true,
        description = "Lifeboat's own catalog (schema lifeboat on the standby): a cache of what the stores say.")
final class CatalogCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Create or upgrade the catalog schema on the standby. Safe to repeat.")
    int migrate() {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            CatalogMigrator.MigrationReport report = new CatalogMigrator(pools.standby()).migrate();
            PrintWriter out = spec.commandLine().getOut();
            out.println("catalog " + CatalogMigrator.SCHEMA + " on standby " + loaded.config().standby().address()
                    + ": at version " + report.version() + " (" + report.applied() + " migrations applied)");
            out.flush();
        }
        return ExitCode.OK.code();
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the catalog's version; exit 1 when migrations are pending.")
    int status() {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            CatalogMigrator migrator = new CatalogMigrator(pools.standby());
            int pending = migrator.pendingCount();
            PrintWriter out = spec.commandLine().getOut();
            out.println("catalog " + CatalogMigrator.SCHEMA + " on standby " + loaded.config().standby().address()
                    + ": at version " + migrator.currentVersion() + ", " + pending + " pending");
            out.flush();
            return pending == 0 ? ExitCode.OK.code() : ExitCode.WARNING.code();
        }
    }
}
