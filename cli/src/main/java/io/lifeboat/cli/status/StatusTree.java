package io.lifeboat.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.MonitorConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Judges {@link Readings} into the status tree. Each component's level is the worst of its lines; the overall level
 * is the worst component's. Rules, each stated in the line's reason so nobody has to look them up:
 * <ul>
 *   <li>replication: down when {@code sync run} has not recorded the master's position for 30 s or lag passes
 *       {@code lag_critical}; warn past {@code lag_warning}, past {@code replication.retained_wal_warning} of slot
 *       WAL, or with a paused table;</li>
 *   <li>snapshots, archives, validation, the dry-run: warn past their age threshold, down past twice it or when there
 *       is none at all (validation and the dry-run: warn only);</li>
 *   <li>recovery: down when the last dry-run found no healthy rung, or no healthy rung is within {@code recovery.rpo};
 *       warn when a rung is unavailable, corrupt or over {@code recovery.rpo};</li>
 *   <li>jobs: warn when a kind's last run failed.</li>
 * </ul>
 */
public final class StatusTree {
    /** {@code sync run} records the master's position every second; this much silence means it is not running. */
    static final Duration MASTER_SILENCE = Duration.ofSeconds(30);
    /** The rungs whose recovery point moves with the live servers rather than with the last dry-run. */
    private static final List<String> LIVE_MASTER_RUNGS = List.of("restart-master", "master-volume-snapshot");

    private StatusTree() {
    }

    public static Status judge(Readings readings, LifeboatConfig config) {
        Instant now = readings.at();
        MonitorConfig.Thresholds limits = config.monitor().thresholds();
        List<Source> sources = sources(readings, config);
        List<Check> components = new ArrayList<>();
        components.add(replication(readings, config, limits, now));
        components.add(snapshots(readings, limits, now));
        components.add(archives(readings, limits, now));
        components.add(offsite(readings, now));
        components.add(validation(readings, config, limits, now));
        components.add(recovery(readings, sources, config, limits, now));
        components.add(jobs(readings));
        Level overall = components.stream().map(Check::level).reduce(Level.UP, Level::worst);
        return new Status(now, overall, components, sources, config.recovery().rpo(), readings);
    }

    private static Check replication(Readings readings, LifeboatConfig config, MonitorConfig.Thresholds limits,
            Instant now) {
        Readings.Replication r = readings.replication();
        List<Check> lines = new ArrayList<>();
        Optional<Duration> lag = r.lag(now);
        String bytes = r.lagBytes().isPresent() ? " (" + DataSize.ofBytes(r.lagBytes().getAsLong()).approximate()
                + " of WAL)" : "";
        String bounds = "; warning past " + HumanDuration.format(limits.lagWarning()) + ", critical past "
                + HumanDuration.format(limits.lagCritical());
        if (lag.isEmpty()) {
            lines.add(Check.of("lag", Level.DOWN, "no heartbeat has reached the standby yet"));
        } else {
            Level level = lag.get().compareTo(limits.lagCritical()) > 0 ? Level.DOWN
                    : lag.get().compareTo(limits.lagWarning()) > 0 ? Level.WARN : Level.UP;
            lines.add(Check.of("lag", level, seconds(lag.get()) + " behind" + bytes + bounds, r.heartbeatAt()));
        }
        DataSize limit = config.replication().retainedWalWarning();
        if (r.retainedBytes().isEmpty()) {
            lines.add(Check.of("slot", r.masterSeenAt().isPresent() ? Level.WARN : Level.UP,
                    "slot " + config.replication().slot() + " holds no WAL position (not created yet, or dropped)"));
        } else {
            long held = r.retainedBytes().getAsLong();
            boolean over = held > limit.bytes();
            lines.add(Check.of("slot", over ? Level.WARN : Level.UP, "slot " + config.replication().slot()
                    + " retains " + DataSize.ofBytes(held).approximate() + " of WAL on the master"
                    + (over ? ", over replication.retained_wal_warning " : " (warning past ") + limit
                    + (over ? "" : ")")));
        }
        if (r.paused().isEmpty()) {
            lines.add(Check.of("paused tables", Level.UP, "none"));
        } else {
            List<Check> tables = r.paused().stream().map(p -> Check.of(p.table(), Level.WARN, p.reason(),
                    Optional.of(p.since()))).toList();
            lines.add(new Check("paused tables", Level.WARN, r.paused().size() + " paused: "
                    + String.join(", ", r.paused().stream().map(Readings.PausedTable::table).toList()),
                    Optional.empty(), tables));
        }
        Check group = Check.group("replication", "", lines);
        if (r.masterSeenAt().isEmpty()) {
            return group.withLevel(Level.DOWN, "sync run has never recorded the master's position");
        }
        Duration silence = Duration.between(r.masterSeenAt().get(), now);
        if (silence.compareTo(MASTER_SILENCE) > 0) {
            return new Check("replication", Level.DOWN, "master not seen for " + age(silence)
                    + ": sync run is stopped or cannot reach the master", r.masterSeenAt(), lines);
        }
        return group.withLevel(group.level(), summary(lines, lag.map(l -> "lag " + seconds(l)).orElse("no lag yet")));
    }

    private static Check snapshots(Readings readings, MonitorConfig.Thresholds limits, Instant now) {
        if (readings.snapshots().isEmpty()) {
            return Check.of("snapshots", Level.UP, "not configured (no snapshots block)");
        }
        Readings.Snapshots s = readings.snapshots().get();
        if (s.problem().isPresent()) {
            return Check.of("snapshots", Level.DOWN, s.problem().get());
        }
        List<Check> lines = new ArrayList<>();
        lines.add(s.newest().map(n -> aged("newest", n.name(), n.takenAt(), limits.snapshotAge(), now,
                        "snapshot_age"))
                .map(c -> s.newestCorrupt() ? c.withLevel(Level.WARN, c.reason() + "; its verification failed") : c)
                .orElse(Check.of("newest", Level.DOWN, "no complete snapshot")));
        lines.add(s.newestVerified().map(n -> aged("newest verified", n.name(), n.takenAt(),
                        limits.snapshotAge().multipliedBy(4), now, "4 × snapshot_age"))
                .orElse(Check.of("newest verified", Level.WARN, "no snapshot verified yet")));
        lines.add(Check.of("count", s.count() == 0 ? Level.DOWN : Level.UP, s.count() + " complete"));
        return Check.group("snapshots", "", lines).withLevel(worst(lines), summary(lines, s.count() + " snapshots"));
    }

    private static Check archives(Readings readings, MonitorConfig.Thresholds limits, Instant now) {
        if (readings.archives().isEmpty()) {
            return Check.of("archives", Level.UP, "not configured (no archive.targets)");
        }
        List<Check> targets = new ArrayList<>();
        for (Readings.Archive a : readings.archives()) {
            if (a.problem().isPresent()) {
                targets.add(Check.of(a.target(), Level.DOWN, "cannot list: " + a.problem().get()));
                continue;
            }
            List<Check> lines = new ArrayList<>();
            lines.add(a.newest().map(b -> aged("newest", b.id() + ", " + DataSize.ofBytes(b.bytes()).approximate(),
                    b.at(), limits.archiveAge(), now, "archive_age"))
                    .orElse(Check.of("newest", Level.DOWN, "no complete backup")));
            lines.add(a.newestVerified().map(b -> aged("newest verified", b.id(), b.at(),
                    limits.archiveAge().multipliedBy(7), now, "7 × archive_age"))
                    .orElse(Check.of("newest verified", Level.WARN, "no backup verified yet")));
            String reason = a.complete() + " complete" + a.newest().map(b -> ", newest "
                    + DataSize.ofBytes(b.bytes()).approximate()).orElse("");
            targets.add(new Check(a.target(), worst(lines), reason, a.newest().map(Readings.Backup::at), lines));
        }
        return Check.group("archives", "", targets).withLevel(worst(targets),
                summary(targets, targets.size() + " target" + (targets.size() == 1 ? "" : "s")));
    }

    private static Check offsite(Readings readings, Instant now) {
        List<Readings.Archive> archives = readings.archives();
        Optional<Readings.Run> copy = Optional.ofNullable(readings.jobs().get("copy")).flatMap(Readings.Job::last);
        if (archives.size() < 2) {
            return Check.of("offsite copy", archives.isEmpty() ? Level.UP : Level.WARN, archives.isEmpty()
                    ? "not configured" : "one archive target only: no second, offsite copy");
        }
        Readings.Archive first = archives.get(0);
        List<Check> lines = new ArrayList<>();
        for (Readings.Archive other : archives.subList(1, archives.size())) {
            if (first.newest().isEmpty()) {
                lines.add(Check.of(other.target(), Level.UP, "nothing to copy yet"));
            } else if (other.problem().isPresent()) {
                lines.add(Check.of(other.target(), Level.DOWN, "cannot list: " + other.problem().get()));
            } else if (other.completeIds().contains(first.newest().get().id())) {
                lines.add(Check.of(other.target(), Level.UP, "holds " + first.newest().get().id() + ", the newest on "
                        + first.target()));
            } else {
                lines.add(Check.of(other.target(), Level.WARN, "lacks " + first.newest().get().id() + ", the newest on "
                        + first.target(), first.newest().map(Readings.Backup::at)));
            }
        }
        copy.filter(Readings.Run::failed).ifPresent(run -> lines.add(Check.of("last copy", Level.WARN,
                "failed: " + run.message(), Optional.of(run.endedAt()))));
        return Check.group("offsite copy", "", lines).withLevel(worst(lines), summary(lines, "up to date"));
    }

    private static Check validation(Readings readings, LifeboatConfig config, MonitorConfig.Thresholds limits,
            Instant now) {
        if (readings.validation().isEmpty()) {
            return Check.of("validation", Level.WARN, "never validated (lifeboat sync validate)");
        }
        Readings.Validation v = readings.validation().get();
        List<Check> tables = v.outOfSync().stream().map(table -> Check.of(table, Level.WARN, "out of sync; repair: "
                + resyncCommand(config, table))).toList();
        Duration age = Duration.between(v.at(), now);
        Level level = !tables.isEmpty() || age.compareTo(limits.validationAge()) > 0 ? Level.WARN : Level.UP;
        String reason = (tables.isEmpty() ? "all " + v.tables() + " tables equal"
                : tables.size() + " of " + v.tables() + " tables out of sync")
                + (age.compareTo(limits.validationAge()) > 0 ? "; older than validation_age "
                + HumanDuration.format(limits.validationAge()) : "");
        return new Check("validation", level, reason, Optional.of(v.at()), tables);
    }

    /** The exact command that copies one table again while replication runs. */
    public static String resyncCommand(LifeboatConfig config, String table) {
        return "lifeboat -c " + config.source() + " sync resync --table " + table;
    }

    private static Check recovery(Readings readings, List<Source> sources, LifeboatConfig config,
            MonitorConfig.Thresholds limits, Instant now) {
        if (readings.dryRun().isEmpty()) {
            return Check.of("recovery", Level.WARN, "no recovery dry-run yet (lifeboat run makes one daily;"
                    + " by hand: lifeboat recover --auto --dry-run)");
        }
        Optional<Duration> target = config.recovery().rpo();
        List<Check> lines = new ArrayList<>();
        for (Source s : sources) {
            String rpo = s.rpo().map(d -> "rpo " + seconds(d)).orElse("rpo unknown");
            boolean over = target.isPresent() && s.rpo().isPresent() && s.rpo().get().compareTo(target.get()) > 0;
            Level level = switch (s.state()) {
                case "ok" -> over ? Level.WARN : Level.UP;
                case "not checked" -> Level.UP;
                case "unavailable" -> Level.WARN;
                default -> Level.DOWN;
            };
            String reason = s.state() + (s.candidate().isEmpty() ? "" : " " + s.candidate()) + ", " + rpo
                    + (over ? " over recovery.rpo " + HumanDuration.format(target.get()) : "")
                    + (s.reason().isEmpty() || s.state().equals("ok") ? "" : ": " + s.reason());
            lines.add(Check.of(s.rung(), level, reason, s.recoveryPoint()));
        }
        Duration age = Duration.between(readings.dryRun().get().at(), now);
        List<Source> healthy = sources.stream().filter(Source::verified).toList();
        List<Source> withinRpo = healthy.stream().filter(s -> target.isEmpty() || s.rpo().map(r -> r.compareTo(
                target.get()) <= 0).orElse(false)).toList();
        Level level = worst(lines);
        String reason;
        if (healthy.isEmpty()) {
            level = Level.DOWN;
            reason = "the last dry-run found no rung that can bring the database back";
        } else if (withinRpo.isEmpty()) {
            level = Level.DOWN;
            reason = "no healthy source is within recovery.rpo " + HumanDuration.format(target.get());
        } else {
            Source best = withinRpo.get(0);
            reason = "recoverable by " + best.rung() + best.rpo().map(r -> " (rpo " + seconds(r) + ")").orElse("");
        }
        if (age.compareTo(limits.dryRunAge()) > 0) {
            level = level.worst(Level.WARN);
            reason += "; the last dry-run is older than dry_run_age " + HumanDuration.format(limits.dryRunAge());
        }
        return new Check("recovery", level, reason, Optional.of(readings.dryRun().get().at()), lines);
    }

    private static Check jobs(Readings readings) {
        List<Check> lines = new ArrayList<>();
        for (Readings.Job job : readings.jobs().values()) {
            if (job.last().isEmpty()) {
                continue;
            }
            Readings.Run run = job.last().get();
            lines.add(Check.of(job.kind(), run.failed() ? Level.WARN : Level.UP, run.failed()
                    ? "failed: " + run.message() : "succeeded in " + seconds(run.duration())
                    + (run.message().isEmpty() ? "" : ": " + run.message()), Optional.of(run.endedAt())));
        }
        if (lines.isEmpty()) {
            return Check.of("jobs", Level.UP, "none has run yet");
        }
        return Check.group("jobs", "", lines).withLevel(worst(lines), summary(lines, lines.size() + " kinds ran"));
    }

    /** Each rung's best candidate from the last dry-run, with the live recovery point where one is known now. */
    static List<Source> sources(Readings readings, LifeboatConfig config) {
        if (readings.dryRun().isEmpty()) {
            return List.of();
        }
        Instant now = readings.at();
        Map<String, JsonNode> best = new LinkedHashMap<>();
        for (JsonNode rung : readings.dryRun().get().report().path("rungs")) {
            String name = rung.path("rung").asText();
            JsonNode chosen = best.get(name);
            boolean ok = rung.path("state").asText().equals("ok");
            if (chosen == null || ok && !chosen.path("state").asText().equals("ok")) {
                best.put(name, rung);
            }
        }
        Readings.Replication replication = readings.replication();
        boolean masterSeen = replication.masterSeenAt()
                .map(at -> Duration.between(at, now).compareTo(MASTER_SILENCE) <= 0).orElse(false);
        List<Source> sources = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : best.entrySet()) {
            JsonNode rung = entry.getValue();
            String state = rung.path("state").asText();
            Optional<Instant> point = instant(rung.path("master_time"));
            boolean live = false;
            if (LIVE_MASTER_RUNGS.contains(entry.getKey()) && state.equals("ok") && masterSeen) {
                point = replication.masterSeenAt();
                live = true;
            } else if (entry.getKey().equals("promote-standby") && replication.heartbeatAt().isPresent()) {
                point = replication.heartbeatAt();
                live = true;
            }
            Optional<Duration> rpo = point.map(p -> p.isAfter(now) ? Duration.ZERO : Duration.between(p, now));
            sources.add(new Source(entry.getKey(), rung.path("candidate").asText(""), state,
                    rung.path("reason").asText(""), point, rpo, live));
        }
        return sources;
    }

    private static Optional<Instant> instant(JsonNode node) {
        if (!node.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(node.asText()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Check aged(String name, String what, Instant at, Duration limit, Instant now, String key) {
        Duration age = Duration.between(at, now);
        if (age.compareTo(limit.multipliedBy(2)) > 0) {
            return Check.of(name, Level.DOWN, what + ", over twice " + key + " " + HumanDuration.format(limit),
                    Optional.of(at));
        }
        if (age.compareTo(limit) > 0) {
            return Check.of(name, Level.WARN, what + ", older than " + key + " " + HumanDuration.format(limit),
                    Optional.of(at));
        }
        return Check.of(name, Level.UP, what, Optional.of(at));
    }

    private static Level worst(List<Check> lines) {
        return lines.stream().map(Check::level).reduce(Level.UP, Level::worst);
    }

    /** The component's reason: what is wrong with it, or {@code fine} when nothing is. */
    private static String summary(List<Check> lines, String fine) {
        List<String> wrong = lines.stream().filter(c -> c.level() != Level.UP)
                .map(c -> c.name() + ": " + c.reason()).toList();
        return wrong.isEmpty() ? fine : String.join("; ", wrong);
    }

    /** 0.4s, 12s, 3m20s: tenths below a minute, whole seconds above. */
    static String seconds(Duration d) {
        if (d.compareTo(Duration.ofMinutes(1)) < 0) {
            return String.format(java.util.Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        return HumanDuration.format(Duration.ofSeconds(d.toSeconds()));
    }

    /** An age as a person reads it: 4s, 3m, 2h5m, 3d. */
    static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m";
        }
        if (s < 86_400) {
            return (s / 3600) + "h" + (s % 3600 / 60 == 0 ? "" : (s % 3600 / 60) + "m");
        }
        return (s / 86_400) + "d" + (s % 86_400 / 3600 == 0 ? "" : (s % 86_400 / 3600) + "h");
    }
}
