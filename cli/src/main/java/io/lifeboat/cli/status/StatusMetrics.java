package io.lifeboat.cli.status;

import io.lifeboat.core.LifeboatVersion;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * The status as Prometheus metrics, through Micrometer's Prometheus registry. Names are chosen once (dashboards
 * break when they change): base units, timestamps rather than ages, and labels only for job kind, archive target,
 * rung and component, never an LSN or a backup name. Every gauge reads the newest {@link Status}; a value not known
 * in it is NaN. The replicator's in-process counters ({@code lifeboat_replication_applied_rows_total},
 * {@code _apply_errors_total}) live in Micrometer's global registry, which this registry joins while open.
 */
public final class StatusMetrics implements AutoCloseable {
    /** The job kinds that always have a series, run or not, so an alert on a missing success has something to see. */
    static final List<String> JOBS = List.of("snapshot", "archive", "validate", "copy", "prune", "dry-run");
    static final List<String> COMPONENTS = List.of("overall", "replication", "snapshots", "archives",
            "offsite copy", "validation", "recovery", "jobs");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<Status> current = new AtomicReference<>();
    private final Set<String> registered = new HashSet<>();

    public StatusMetrics() {
        Info.builder().name("lifeboat_build_info").help("Lifeboat's version; always 1").labelNames("version")
                .register(registry.getPrometheusRegistry()).addLabelValues(LifeboatVersion.current());
        gauge("lifeboat.replication.lag", "seconds", "Replication lag: age of the newest heartbeat on the standby",
                s -> s.readings().replication().lag(s.at()).map(StatusMetrics::seconds).orElse(Double.NaN));
        gauge("lifeboat.replication.lag.bytes", "bytes", "WAL the master has written that the standby has not applied",
                s -> s.readings().replication().lagBytes().isPresent()
                        ? s.readings().replication().lagBytes().getAsLong() : Double.NaN);
        gauge("lifeboat.replication.slot.retained", "bytes", "WAL the replication slot holds on the master",
                s -> s.readings().replication().retainedBytes().isPresent()
                        ? s.readings().replication().retainedBytes().getAsLong() : Double.NaN);
        gauge("lifeboat.snapshot.count", null, "Complete snapshots in the store",
                s -> s.readings().snapshots().map(n -> (double) n.count()).orElse(Double.NaN));
        gauge("lifeboat.rpo.target", "seconds", "recovery.rpo: the data-loss target",
                s -> s.rpoTarget().map(StatusMetrics::seconds).orElse(Double.NaN));
        for (String job : JOBS) {
            jobMeters(job);
        }
        for (String component : COMPONENTS) {
            componentGauge(component);
        }
        Metrics.addRegistry(registry);
    }

    /** Publishes a new status: new targets, rungs and job kinds get their series. */
    public synchronized void update(Status status) {
        current.set(status);
        status.readings().jobs().keySet().forEach(this::jobMeters);
        for (Readings.Archive archive : status.readings().archives()) {
            if (registered.add("archive:" + archive.target())) {
                String target = archive.target();
                Gauge.builder("lifeboat.archive.size", current, ref -> value(ref, s -> s.readings().archives().stream()
                                .filter(a -> a.target().equals(target)).findFirst().flatMap(Readings.Archive::newest)
                                .map(b -> (double) b.bytes()).orElse(Double.NaN)))
                        .baseUnit("bytes").description("Size of the newest complete backup on the target, as stored")
                        .tag("target", target).register(registry);
            }
        }
        for (Source source : status.sources()) {
            if (registered.add("rung:" + source.rung())) {
                String rung = source.rung();
                rungGauge("lifeboat.source.recovery.point.timestamp", "seconds", rung,
                        "Master time up to which the recovery source holds every transaction",
                        s -> s.recoveryPoint().map(StatusMetrics::epochSeconds).orElse(Double.NaN));
                rungGauge("lifeboat.source.rpo", "seconds", rung, "Data a recovery from this source would lose now",
                        s -> s.rpo().map(StatusMetrics::seconds).orElse(Double.NaN));
                rungGauge("lifeboat.source.verified", null, rung,
                        "1 when the last dry-run verified the source, else 0", s -> s.verified() ? 1 : 0);
            }
        }
    }

    /** The Prometheus text exposition of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        Metrics.removeRegistry(registry);
        registry.close();
    }

    private void jobMeters(String job) {
        if (!registered.add("job:" + job)) {
            return;
        }
        Gauge.builder("lifeboat.job.last.success.timestamp", current, ref -> value(ref, s -> job(s, job)
                        .flatMap(Readings.Job::lastSuccess).map(r -> epochSeconds(r.endedAt())).orElse(Double.NaN)))
                .baseUnit("seconds").description("When the job last ended successfully").tag("job", job)
                .register(registry);
        Gauge.builder("lifeboat.job.duration", current, ref -> value(ref, s -> job(s, job)
                        .flatMap(Readings.Job::last).map(r -> seconds(r.duration())).orElse(Double.NaN)))
                .baseUnit("seconds").description("How long the job's last run took").tag("job", job)
                .register(registry);
        FunctionCounter.builder("lifeboat.job.failures", current, ref -> value(ref, s -> job(s, job)
                        .map(j -> (double) j.failures()).orElse(0.0)))
                .description("Failed runs of the job recorded in the catalog").tag("job", job).register(registry);
    }

    private void componentGauge(String component) {
        Gauge.builder("lifeboat.status", current, ref -> value(ref, s -> component.equals("overall")
                        ? s.overall().value() : s.component(component).map(c -> (double) c.level().value())
                        .orElse(Double.NaN)))
                .description("0 up, 1 warn, 2 down").tag("component", component).register(registry);
    }

    private void rungGauge(String name, String unit, String rung, String help, ToDoubleFunction<Source> read) {
        Gauge.builder(name, current, ref -> value(ref, s -> s.sources().stream().filter(x -> x.rung().equals(rung))
                        .findFirst().map(read::applyAsDouble).orElse(Double.NaN)))
                .baseUnit(unit).description(help).tag("rung", rung).register(registry);
    }

    private void gauge(String name, String unit, String help, ToDoubleFunction<Status> read) {
        Gauge.builder(name, current, ref -> value(ref, read)).baseUnit(unit).description(help).register(registry);
    }

    private static Optional<Readings.Job> job(Status status, String kind) {
        return Optional.ofNullable(status.readings().jobs().get(kind));
    }

    private static double value(AtomicReference<Status> ref, ToDoubleFunction<Status> read) {
        Status status = ref.get();
        return status == null ? Double.NaN : read.applyAsDouble(status);
    }

    private static double seconds(java.time.Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static double epochSeconds(Instant at) {
        return at.toEpochMilli() / 1000.0;
    }
}
