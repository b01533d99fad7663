package io.lifeboat.cli;

import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.Replicator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Replicate the master to the standby (pushdelta and fullcopy).")
final class SyncCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Replicate in the foreground until SIGINT or SIGTERM; the position stays saved in the standby.",
                "Creates the publication and the slot on the master, and copies every table when the slot is new."})
    int runReplicator() throws Exception {
        LoadedConfig loaded = root.loadConfig();
        try (Pools pools = new Pools(loaded.config())) {
            new CatalogMigrator(pools.standby()).migrate();
            Replicator replicator = new Replicator(loaded.config().master(), loaded.config().replication(),
                    pools.master(), pools.standby());
            CountDownLatch finished = new CountDownLatch(1);
            Thread stopOnSignal = new Thread(() -> {
                replicator.stop();
                try {
                    finished.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "lifeboat-stop");
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            try {
                replicator.run();
            } finally {
                finished.countDown();
            }
            return ExitCode.OK.code();
        }
    }
}
