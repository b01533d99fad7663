package io.lifeboat.cli;

import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.snapshotter.cycle.SnapshotCycle;
import io.lifeboat.snapshotter.cycle.SnapshotMetadata;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.cycle.Verification;
import io.lifeboat.snapshotter.provider.SnapshotProvider;
import io.lifeboat.snapshotter.provider.SnapshotProviders;
import io.lifeboat.snapshotter.restore.SnapshotRestore;
import io.lifeboat.snapshotter.retention.SnapshotPruner;
import io.lifeboat.snapshotter.retention.SnapshotPruner.PruneDecision;
import io.lifeboat.snapshotter.verify.ClonedCluster;
import io.lifeboat.snapshotter.verify.SnapshotVerifier;
import io.lifeboat.snapshotter.verify.VerificationLog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Snapshot the master's data volume (lock → sync → snapshot → unlock), verify, restore, prune.")
final class SnapshotCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;

    private final Clock clock = Clock.systemUTC();

    @Command(name = "take", mixinStandardHelpOptions = true,
            description = {"Take a snapshot now, verify it when snapshots.verify is true, then prune by the schedule.",
                "The master is in backup mode for the lock → unlock window only, and never longer than",
                "snapshots.lock_timeout: a watchdog unlocks it whatever happens."})
    int take() {
        LoadedConfig loaded = root.loadConfig();
        SnapshotsConfig config = snapshots(loaded);
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        SnapshotStore store = new SnapshotStore(config.directory());
        PrintWriter out = spec.commandLine().getOut();
        try (Pools pools = new Pools(loaded.config())) {
            StoredSnapshot snapshot = new SnapshotCycle(config, provider, store, pools.master(), clock).take();
            SnapshotMetadata metadata = snapshot.metadata().orElseThrow();
            out.printf("snapshot %s: locked, synced, snapshotted, unlocked in %d ms (write-blocked %d ms)%n",
                    snapshot.name(), SnapshotCycle.lockedMillis(metadata.stepMillis()), metadata.writeBlockedMillis());
            out.println("  steps: " + metadata.stepMillis().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue() + " ms").collect(Collectors.joining(", ")));
            out.println("  lsn: " + metadata.startLsn() + " → " + metadata.stopLsn());
            out.flush();
            int exit = ExitCode.OK.code();
            if (config.verify()) {
                Verification verification = verifier(provider, store, pools).verify(snapshot);
                printVerification(out, snapshot, verification);
                exit = verification.verified() ? exit : ExitCode.ERROR.code();
            }
            printPrune(out, new SnapshotPruner(config.schedule(), store, provider).prune(clock.instant()), false);
            return exit;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Take snapshots in the foreground until SIGINT or SIGTERM, one per smallest spacing of",
                "snapshots.schedule, on its boundaries (e.g. 5m: at :00, :05, ...), each followed by verify and prune."})
    int runSchedule() throws InterruptedException {
        SnapshotsConfig config = snapshots(root.loadConfig());
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        // The JVM ends when the hooks are done: wait for a take in progress to finish (or be unlocked by its watchdog).
        Thread hook = new Thread(() -> {
            stopped.countDown();
            try {
                finished.await(config.lockTimeout().toSeconds() + 60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "lifeboat-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long spacing = config.schedule().interval().toMillis();
        PrintWriter out = spec.commandLine().getOut();
        out.println("taking a snapshot every " + io.lifeboat.core.config.HumanDuration.format(config.schedule().interval())
                + " (schedule " + config.schedule() + "); stop with SIGINT or SIGTERM");
        out.flush();
        try {
            takeOnSchedule(stopped, spacing);
        } finally {
            finished.countDown();
        }
        return ExitCode.OK.code();
    }

    private void takeOnSchedule(java.util.concurrent.CountDownLatch stopped, long spacing) throws InterruptedException {
        while (stopped.getCount() > 0) {
            long now = clock.millis();
            long next = (now / spacing + 1) * spacing;
            if (stopped.await(next - now, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                break;
            }
            try {
                take();
            } catch (LifeboatException e) {
                // One failed take must not end the schedule; the next boundary tries again.
                org.slf4j.LoggerFactory.getLogger(SnapshotCommand.class).error("snapshot failed: {}", e.getMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Show every snapshot: name, time, LSN, size, state and the retention slot it fills.")
    int list() {
        SnapshotsConfig config = snapshots(root.loadConfig());
        SnapshotStore store = new SnapshotStore(config.directory());
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        Map<String, PruneDecision> plan = new SnapshotPruner(config.schedule(), store, provider).plan(clock.instant())
                .stream().collect(Collectors.toMap(d -> d.snapshot().name().complete(), Function.identity()));
        PrintWriter out = spec.commandLine().getOut();
        List<StoredSnapshot> snapshots = store.list();
        if (snapshots.isEmpty()) {
            out.println("no snapshots in " + config.directory());
        } else {
            out.printf("%-32s %-20s %-12s %9s  %-10s  %s%n", "NAME", "TAKEN", "STOP LSN", "SIZE", "STATE", "RETENTION");
        }
        for (StoredSnapshot snapshot : newestFirst(snapshots)) {
            PruneDecision decision = plan.get(snapshot.name().complete());
            String retention = snapshot.incomplete() ? "not counted (removed by the next take)"
                    : decision == null ? "-" : (decision.keep() ? "" : "to delete: ") + decision.reason();
            out.printf("%-32s %-20s %-12s %9s  %-10s  %s%n", snapshot.storageName(),
                    snapshot.name().takenAt().toString().replace('T', ' '),
                    snapshot.metadata().map(SnapshotMetadata::stopLsn).orElse("-"), size(snapshot), snapshot.state(),
                    retention);
        }
        out.flush();
        return ExitCode.OK.code();
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Clone a snapshot, start PostgreSQL on the clone on a spare port, run pg_amcheck on every",
                "database and a sanity query; record verified or corrupt. Exit 2 when corrupt."})
    int verify(@Parameters(arity = "0..1", paramLabel = "NAME", description = "Default: the newest.") String name) {
        LoadedConfig loaded = root.loadConfig();
        SnapshotsConfig config = snapshots(loaded);
        SnapshotProvider provider = SnapshotProviders.forConfig(config);
        SnapshotStore store = new SnapshotStore(config.directory());
        StoredSnapshot snapshot = store.find(Optional.ofNullable(name));
        try (Pools pools = new Pools(loaded.config())) {
            Verification verification = verifier(provider, store, pools).verify(snapshot);
            printVerification(spec.commandLine().getOut(), snapshot, verification);
            return verification.verified() ? ExitCode.OK.code() : ExitCode.ERROR.code();
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Make a cluster from a snapshot in a new directory; with --port also start it.",
                "It recovers to the snapshot's stop LSN and is promoted; the snapshot itself is not touched."})
    int restore(@Parameters(paramLabel = "NAME") String name,
            @Option(names = "--to", required = true, paramLabel = "DIR", description = "A directory that does not exist yet.")
            Path to,
            @Option(names = "--port", paramLabel = "P", description = "Start the server on this port.") Integer port,
            @Option(names = "--socket-dir", paramLabel = "DIR",
                    description = "unix_socket_directories for it (default: as on the master).") Path socketDirectory) {
        SnapshotsConfig config = snapshots(root.loadConfig());
        SnapshotStore store = new SnapshotStore(config.directory());
        StoredSnapshot snapshot = store.find(Optional.of(name));
        ClonedCluster cluster = new SnapshotRestore(SnapshotProviders.forConfig(config)).restore(snapshot,
                to.toAbsolutePath(), port == null ? OptionalInt.empty() : OptionalInt.of(port),
                Optional.ofNullable(socketDirectory));
        PrintWriter out = spec.commandLine().getOut();
        if (port != null) {
            out.println("snapshot " + snapshot.name() + " restored: PostgreSQL is running on port " + port
                    + ", data directory " + cluster.dataDirectory());
        } else {
            out.println("snapshot " + snapshot.name() + " restored to " + cluster.dataDirectory()
                    + " (ready to start; it recovers to " + snapshot.metadata().orElseThrow().stopLsn()
                    + " and promotes on first start)");
            String asOwner = OsUser.isRoot() ? "runuser -u " + cluster.osUser() + " -- " : "";
            out.println("start it with: " + asOwner + cluster.server().programs().program("pg_ctl") + " -D "
                    + cluster.dataDirectory() + " -o '-p PORT' start");
        }
        out.flush();
        return ExitCode.OK.code();
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Delete the snapshots the schedule (snapshots.schedule) no longer keeps, and say why.")
    int prune(@Option(names = "--dry-run", description = "Only show what would be kept and deleted.") boolean dryRun) {
        SnapshotsConfig config = snapshots(root.loadConfig());
        SnapshotPruner pruner = new SnapshotPruner(config.schedule(), new SnapshotStore(config.directory()),
                SnapshotProviders.forConfig(config));
        List<PruneDecision> plan = dryRun ? pruner.plan(clock.instant()) : pruner.prune(clock.instant());
        printPrune(spec.commandLine().getOut(), plan, dryRun);
        return ExitCode.OK.code();
    }

    private SnapshotVerifier verifier(SnapshotProvider provider, SnapshotStore store, Pools pools) {
        VerificationLog log = VerificationLog.NONE;
        try {
            new CatalogMigrator(pools.standby()).migrate();
            log = new CatalogVerificationLog(pools.standby());
        } catch (LifeboatException e) {
            org.slf4j.LoggerFactory.getLogger(SnapshotCommand.class)
                    .warn("the standby's catalog is unreachable ({}); verifications are kept beside the snapshots only",
                            e.getMessage());
        }
        return new SnapshotVerifier(provider, store, log, clock);
    }

    private static void printVerification(PrintWriter out, StoredSnapshot snapshot, Verification verification) {
        out.println("snapshot " + snapshot.name() + ": " + (verification.verified() ? "verified" : "CORRUPT") + " in "
                + verification.durationMillis() + " ms: " + verification.reason());
        out.flush();
    }

    private static void printPrune(PrintWriter out, List<PruneDecision> plan, boolean dryRun) {
        for (PruneDecision decision : plan) {
            String verb = decision.keep() ? "keep  " : dryRun ? "would delete" : "deleted";
            out.println(verb + " " + decision.snapshot().name() + ": " + decision.reason());
        }
        out.flush();
    }

    private static List<StoredSnapshot> newestFirst(List<StoredSnapshot> snapshots) {
        List<StoredSnapshot> copy = new java.util.ArrayList<>(snapshots);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static String size(StoredSnapshot snapshot) {
        ExternalCommand.Result du = ExternalCommand.of("du", "-s", "-b", snapshot.directory().toString())
                .timeout(Duration.ofMinutes(2)).runAllowingFailure();
        if (du.exitCode() != 0 || du.stdout().isBlank()) {
            return "-";
        }
        return io.lifeboat.core.config.DataSize.ofBytes(Long.parseLong(du.stdout().split("\\s+")[0])).approximate();
    }

    private static SnapshotsConfig snapshots(LoadedConfig loaded) {
        return loaded.config().snapshots().orElseThrow(() -> new LifeboatException(
                "no snapshots block in " + loaded.config().source(),
                "add snapshots: with provider, volume and directory", null));
    }
}
