package io.lifeboat.cli;

import io.lifeboat.cli.service.Backoff;
import io.lifeboat.cli.service.Service;
import io.lifeboat.cli.service.ServiceTiming;
import io.lifeboat.cli.status.Monitor;
import io.lifeboat.core.config.HumanDuration;
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
    /**
     * A JVM system property that paces the retries of a failed job step, {@code FIRST,MAX,ATTEMPTS} (e.g.
     * {@code 2s,2s,50}) instead of 1 min doubling to 15 min, 4 tries: for tests of the service as a process of its
     * own, which cannot wait minutes for a retry. Not a setting an operator needs, so not a config key.
     */
    static final String JOB_RETRY_PROPERTY = "lifeboat.service.job_retry";

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
             Service service = new Service(config, pools, timing(), List.of(
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

    private static ServiceTiming timing() {
        ServiceTiming defaults = ServiceTiming.defaults();
        String value = System.getProperty(JOB_RETRY_PROPERTY);
        if (value == null) {
            return defaults;
        }
        try {
            String[] parts = value.split(",", -1);
            if (parts.length != 3) {
                throw new IllegalArgumentException("it has " + parts.length + " parts");
            }
            Backoff retry = new Backoff(HumanDuration.parse(parts[0].strip()), HumanDuration.parse(parts[1].strip()),
                    Integer.parseInt(parts[2].strip()));
            return new ServiceTiming(retry, defaults.replicationRestart(), defaults.lockCheck(), defaults.stopLimit());
        } catch (IllegalArgumentException e) {
            throw new LifeboatException("-D" + JOB_RETRY_PROPERTY + "=" + value + " is not FIRST,MAX,ATTEMPTS ("
                    + e.getMessage() + ")", "write it like 2s,10s,20", e);
        }
    }
}
