package io.lifeboat.cli;

import io.lifeboat.cli.service.Service;
import io.lifeboat.cli.service.ServiceTiming;
import io.lifeboat.cli.status.Monitor;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.error.LifeboatException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"The service: replication, snapshots, the nightly archive, validation and a daily recovery dry-run.",
            "Runs in the foreground until SIGINT or SIGTERM: replication (as sync run), snapshots on",
            "snapshots.schedule with verification and pruning, the nightly archive in archive.window (local time of",
            "service.timezone) then offsite copy and archive retention, a nightly sync validate (repairing only with",
            "service.repair: true) and a daily recover --auto --dry-run. Every job run is a row in the catalog's",
            "lifeboat.job; a failed one is tried again with backoff and never stops the others.",
            "One run per catalog: a second refuses, naming the host and pid of the first.",
            "Exit 0 after a clean stop (within 30 s: position saved, no half-written backup that looks complete)."})
final class RunCommand implements Callable<Integer> {
    /** How long a clean stop after SIGTERM/SIGINT may take before the process ends anyway. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    @ParentCommand
    LifeboatCommand root;

    @Override
    public Integer call() throws Exception {
        LifeboatConfig config = root.loadConfig().config();
        AtomicReference<Service> running = new AtomicReference<>();
        // Declared first, closed last: the grace period covers closing the service and the pools.
        try (StopSignal signal = StopSignal.install(() -> Optional.ofNullable(running.get())
                .ifPresent(Service::requestStop), STOP_GRACE);
             Pools pools = new Pools(config);
             Service service = new Service(config, pools, ServiceTiming.defaults(), List.of(
                     () -> Monitor.start(config, pools, Monitor.INTERVAL, config.service().timezone())))) {
            running.set(service);
            service.lock();
            SyncCommand.checkMaster(pools, config, signal);
            if (signal.received()) {
                return ExitCode.OK.code();
            }
            service.start();
            while (!service.awaitEnd(Duration.ofHours(1))) {
                // Runs until a signal or a lost lock ends it.
            }
            Optional<String> failure = service.failure();
            if (failure.isPresent()) {
                throw new LifeboatException(failure.get() + "; this run stopped",
                        "one lifeboat run per catalog: check what runs where", null);
            }
            return ExitCode.OK.code();
        }
    }
}
