package io.lifeboat.cli.status;

import io.lifeboat.cli.http.StatusServer;
import io.lifeboat.cli.notify.Alert;
import io.lifeboat.cli.notify.AlertBook;
import io.lifeboat.cli.notify.AlertRules;
import io.lifeboat.cli.notify.Event;
import io.lifeboat.cli.notify.NightlyReport;
import io.lifeboat.cli.notify.Notifier;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.MonitorConfig;
import io.lifeboat.core.db.Pools;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's eyes and voice, started once inside {@code lifeboat run}: every few seconds it reads and judges the
 * status, updates the metrics, serves HTTP when {@code service.http} is set, sends alerts through
 * {@code service.notify} and, once a day at {@code report_at}, the nightly report. Close it to stop all of that.
 * Archive targets are listed at most every five minutes (and after an archive, copy or prune job ends), since an
 * S3 listing is not free.
 */
public final class Monitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Monitor.class);
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    static final Duration ARCHIVE_REFRESH = Duration.ofMinutes(5);

    private final LifeboatConfig config;
    private final Pools pools;
    private final StatusMetrics metrics = new StatusMetrics();
    private final Optional<AlertBook> book;
    private final Notifier notifier;
    private final ScheduledExecutorService rounds;
    private final ZoneId zone;
    private volatile Optional<Status> current = Optional.empty();
    private volatile String unknownReason = "no status read yet";
    private List<Alert> lastActive = List.of();
    private List<Readings.Archive> archives;
    private Instant archivesAt = Instant.EPOCH;
    private Instant archiveJobsSeen = Instant.EPOCH;
    private StatusServer server;

    private Monitor(LifeboatConfig config, Pools pools, ZoneId zone) {
        this.config = config;
        this.pools = pools;
        this.zone = zone;
        MonitorConfig.Notify notify = config.monitor().alerts();
        this.book = notify.enabled() ? Optional.of(AlertBook.open(notify.stateFile(), notify.repeat()))
                : Optional.empty();
        this.notifier = new Notifier(notify);
        this.rounds = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lifeboat-monitor");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the monitor on the service's pools (it uses the standby's); the nightly report in service.timezone. */
    public static Monitor start(LifeboatConfig config, Pools pools) {
        return start(config, pools, INTERVAL, config.service().timezone());
    }

    /** @param zone the time zone of {@code service.notify.report_at} */
    public static Monitor start(LifeboatConfig config, Pools pools, Duration interval, ZoneId zone) {
        Monitor monitor = new Monitor(config, pools, zone);
        config.monitor().http().ifPresent(http -> monitor.server = StatusServer.start(http, monitor.content()));
        monitor.rounds.scheduleWithFixedDelay(monitor::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return monitor;
    }

    /** The newest status, once one was read. */
    public Optional<Status> status() {
        return current;
    }

    /** Where HTTP is served, when it is. */
    public Optional<InetSocketAddress> httpAddress() {
        return Optional.ofNullable(server).map(StatusServer::address);
    }

    public StatusMetrics metrics() {
        return metrics;
    }

    private StatusServer.Content content() {
        return new StatusServer.Content() {
            @Override
            public String metrics() {
                return metrics.scrape();
            }

            @Override
            public Optional<String> statusJson() {
                return current.map(StatusReport::json);
            }

            @Override
            public boolean healthy() {
                return current.map(s -> s.overall() != Level.DOWN).orElse(false);
            }

            @Override
            public String healthLine() {
                return current.map(s -> s.overall().word() + ": " + StatusReport.nagios(s, config))
                        .orElse("unknown: " + unknownReason);
            }
        };
    }

    private void round() {
        try {
            List<Alert> active;
            try {
                Status status = StatusCheck.run(config, pools.standby(), this::archives);
                current = Optional.of(status);
                metrics.update(status);
                active = AlertRules.evaluate(status, config);
                lastActive = active;
            } catch (CatalogUnreadableException e) {
                // Nothing is known: keep what was firing (it did not clear) and say the status is unknown.
                current = Optional.empty();
                unknownReason = e.getMessage();
                active = new ArrayList<>(lastActive);
                active.add(new Alert("status_unknown", "LifeboatStatusUnknown", "critical", e.getMessage(),
                        "the catalog on the standby cannot be read: nothing about recoverability is known"));
            }
            if (book.isPresent()) {
                List<Event> events = book.get().reconcile(active, Instant.now());
                if (!events.isEmpty()) {
                    notifier.send(events);
                    book.get().save();
                }
                report(book.get());
            }
        } catch (RuntimeException e) {
            log.warn("status round failed: {}", e.getMessage(), e);
        }
    }

    private void report(AlertBook alerts) {
        Optional<java.time.LocalTime> at = config.monitor().alerts().reportAt();
        if (at.isEmpty() || current.isEmpty()) {
            return;
        }
        LocalDateTime now = LocalDateTime.now(zone);
        LocalDate today = now.toLocalDate();
        if (now.toLocalTime().isBefore(at.get()) || alerts.lastReport().filter(day -> !day.isBefore(today))
                .isPresent()) {
            return;
        }
        Event report = NightlyReport.compose(current.get(), pools.standby());
        notifier.send(List.of(report));
        alerts.reported(today);
        alerts.save();
    }

    /** Listings of the archive targets, refreshed every few minutes or when a job that changes them ended. */
    private List<Readings.Archive> archives() {
        Instant now = Instant.now();
        Instant newestJob = current.map(s -> s.readings().jobs()).orElse(java.util.Map.of()).entrySet().stream()
                .filter(e -> List.of("archive", "copy", "prune").contains(e.getKey()))
                .flatMap(e -> e.getValue().last().stream()).map(Readings.Run::endedAt)
                .max(Instant::compareTo).orElse(Instant.EPOCH);
        if (archives == null || Duration.between(archivesAt, now).compareTo(ARCHIVE_REFRESH) > 0
                || newestJob.isAfter(archiveJobsSeen)) {
            archives = Survey.archives(config);
            archivesAt = now;
            archiveJobsSeen = newestJob;
        }
        return archives;
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        try {
            rounds.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server != null) {
            server.close();
        }
        metrics.close();
    }
}
