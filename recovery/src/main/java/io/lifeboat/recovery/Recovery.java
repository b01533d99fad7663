package io.lifeboat.recovery;

import io.lifeboat.core.config.RecoveryConfig;
import io.lifeboat.core.error.LifeboatException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks the ladder. The dry-run ({@link #assess}) and {@code --auto} ({@link #recover}) share the assessment: every
 * rung is probed first (cheap, read-only) to fix the reference position; candidates are then verified in ladder
 * order (a fan-out rung stops at its first healthy candidate: older ones cannot lose less). {@code --auto} executes
 * the first healthy candidate ({@code first-healthy}, verifying lazily) or the one that loses least
 * ({@code least-data-loss}, after verifying all); a candidate whose execution fails is undone by its rung and the walk
 * goes on.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final RecoveryContext context;
    private final Ladder ladder;

    public Recovery(RecoveryContext context, Ladder ladder) {
        this.context = context;
        this.ladder = ladder;
    }

    /** The dry-run: every rung probed and verified; nothing is started in place, promoted, written or switched. */
    public LadderReport assess() {
        Walk walk = new Walk(probe());
        walk.verifyAll();
        return walk.report();
    }

    /** {@code recover --auto}. */
    public Outcome recover() {
        Instant started = context.clock().instant();
        Walk walk = new Walk(probe());
        if (context.recovery().prefer() == RecoveryConfig.Prefer.LEAST_DATA_LOSS) {
            walk.verifyAll();
            while (true) {
                LadderReport report = walk.report();
                if (report.chosen().isEmpty()) {
                    return walk.end(report.overLimit().isPresent() ? Outcome.Kind.REFUSED : Outcome.Kind.NOTHING_HEALTHY,
                            started);
                }
                Optional<Outcome> done = walk.execute(report.chosen().get(), started);
                if (done.isPresent()) {
                    return done.get();
                }
                // An older candidate of the rung that failed was skipped while the failed one looked healthy.
                walk.verifyAll();
            }
        }
        for (int i = 0; i < walk.rows.size(); i++) {
            Assessment row = walk.verifyRow(i);
            if (!row.healthy()) {
                continue;
            }
            Optional<Duration> limit = context.recovery().maxDataLoss();
            if (limit.isPresent() && row.loss().exceeds(limit.get()) && !context.options().allowDataLoss()) {
                walk.markRestNotChecked(i + 1, "the walk stopped before it");
                return walk.end(Outcome.Kind.REFUSED, started);
            }
            Optional<Outcome> done = walk.execute(row, started);
            if (done.isPresent()) {
                return done.get();
            }
        }
        return walk.end(Outcome.Kind.NOTHING_HEALTHY, started);
    }

    /** {@code recover --from RUNG [--candidate ID]}: one rung by hand, with the same checks and the same loss rule. */
    public Outcome recoverFrom(String rungName, Optional<String> candidate) {
        Instant started = context.clock().instant();
        Rung rung = ladder.find(rungName).orElseGet(() -> Ladder.rung(rungName));
        List<Probe> probes = rung.probe(context);
        List<Probe> picked = candidate.map(id -> probes.stream().filter(p -> p.candidate().equals(id)).toList())
                .orElse(probes);
        if (picked.isEmpty()) {
            throw new LifeboatException("rung " + rungName + " has no candidate " + candidate.orElseThrow(),
                    "its candidates: " + String.join(", ", probes.stream().map(Probe::candidate).toList()), null);
        }
        List<RungProbe> rows = new ArrayList<>();
        picked.forEach(p -> rows.add(new RungProbe(rung, p)));
        Walk walk = new Walk(rows);
        for (int i = 0; i < walk.rows.size(); i++) {
            Assessment row = walk.verifyRow(i);
            if (!row.healthy()) {
                continue;
            }
            Optional<Duration> limit = context.recovery().maxDataLoss();
            if (limit.isPresent() && row.loss().exceeds(limit.get()) && !context.options().allowDataLoss()) {
                return walk.end(Outcome.Kind.REFUSED, started);
            }
            Optional<Outcome> done = walk.execute(row, started);
            if (done.isPresent()) {
                return done.get();
            }
        }
        return walk.end(Outcome.Kind.NOTHING_HEALTHY, started);
    }

    private List<RungProbe> probe() {
        List<RungProbe> rows = new ArrayList<>();
        for (Rung rung : ladder.rungs()) {
            long begin = System.nanoTime();
            List<Probe> probes;
            try {
                probes = rung.probe(context);
            } catch (LifeboatException e) {
                probes = List.of(Probe.unavailable(rung.name(), rung.name(), e.getMessage()));
            }
            LOG.info("{}: probed {} candidate{} in {} ms", rung.name(), probes.size(), probes.size() == 1 ? "" : "s",
                    (System.nanoTime() - begin) / 1_000_000);
            probes.forEach(p -> rows.add(new RungProbe(rung, p)));
        }
        return rows;
    }

    private record RungProbe(Rung rung, Probe probe) {
    }

    /** The state of one walk: a row per candidate, in ladder order, and the reference they are measured against. */
    private final class Walk {
        final List<RungProbe> probes;
        final List<Assessment> rows = new ArrayList<>();
        final Set<Integer> verified = new HashSet<>();
        Reference reference;
        Optional<String> stopMessage = Optional.empty();

        Walk(List<RungProbe> probes) {
            this.probes = probes;
            Reference catalog = Reference.fromCatalog(context);
            for (RungProbe p : probes) {
                if (!p.probe().holdsEverything()) {
                    catalog = catalog.including(p.probe().position());
                }
            }
            this.reference = catalog;
            for (RungProbe p : probes) {
                rows.add(p.probe().present()
                        ? Assessment.notChecked(p.probe(), "not verified yet", loss(p.probe(), p.probe().position()))
                        : Assessment.probed(p.probe(), loss(p.probe(), p.probe().position())));
            }
        }

        DataLoss loss(Probe probe, Position position) {
            return probe.holdsEverything() ? DataLoss.NONE : DataLoss.between(position, reference.position());
        }

        /** Verifies row {@code i} (once); a fan-out rung whose newer candidate is healthy skips its older ones. */
        Assessment verifyRow(int i) {
            RungProbe p = probes.get(i);
            if (!p.probe().present() || verified.contains(i)) {
                return rows.get(i);
            }
            for (int j = 0; j < i; j++) {
                if (probes.get(j).rung() == p.rung() && rows.get(j).healthy()) {
                    rows.set(i, Assessment.notChecked(p.probe(), "a newer candidate of this rung is healthy",
                            rows.get(i).loss()));
                    return rows.get(i);
                }
            }
            long begin = System.nanoTime();
            Verification verification;
            try {
                verification = p.rung().verify(context, p.probe());
            } catch (LifeboatException e) {
                verification = Verification.unavailable(e.getMessage(), Duration.ofNanos(System.nanoTime() - begin));
            }
            verified.add(i);
            LOG.info("{} {}: {} in {} ms", p.rung().name(), p.probe().candidate(),
                    verification.ok() ? "verified" : verification.state().label() + ": " + verification.reason(),
                    (System.nanoTime() - begin) / 1_000_000);
            Optional<Duration> expected = Optional.empty();
            if (verification.ok()) {
                reference = reference.including(verification.position());
                try {
                    expected = Optional.of(p.rung().plan(context, p.probe(), verification).expected());
                } catch (LifeboatException e) {
                    expected = Optional.of(verification.took());
                }
            }
            Position position = verification.position().lsn().isPresent() ? verification.position()
                    : p.probe().position();
            rows.set(i, Assessment.verified(p.probe(), verification, loss(p.probe(), position), expected));
            return rows.get(i);
        }

        void verifyAll() {
            for (int i = 0; i < rows.size(); i++) {
                verifyRow(i);
            }
        }

        void markRestNotChecked(int from, String why) {
            for (int i = from; i < rows.size(); i++) {
                if (rows.get(i).state() == State.NOT_CHECKED) {
                    rows.set(i, Assessment.notChecked(probes.get(i).probe(), why, rows.get(i).loss()));
                }
            }
        }

        /** Data loss measured again against the final reference (it may have moved up while verifying). */
        LadderReport report() {
            List<Assessment> measured = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Assessment row = rows.get(i);
                measured.add(row.withLoss(loss(probes.get(i).probe(), row.position())));
            }
            rows.clear();
            rows.addAll(measured);
            return LadderReport.of(rows, reference, context);
        }

        /** Executes one healthy row; empty when it failed (the row is then marked failed and the walk goes on). */
        Optional<Outcome> execute(Assessment row, Instant started) {
            int i = rows.indexOf(row);
            RungProbe p = probes.get(i);
            Verification verification = row.verification().orElseThrow();
            Plan plan = p.rung().plan(context, p.probe(), verification);
            LOG.info("{} {}: executing: {}", plan.rung(), plan.candidate(), String.join("; ", plan.steps()));
            long begin = System.nanoTime();
            try {
                Recovered recovered = p.rung().execute(context, plan);
                LOG.info("{} {}: up on {}:{} in {} ms", plan.rung(), plan.candidate(), recovered.host(),
                        recovered.port(), (System.nanoTime() - begin) / 1_000_000);
                markRestNotChecked(i + 1, "a rung before it recovered the database");
                LadderReport report = report();
                Assessment taken = report.assessments().get(i);
                return Optional.of(new Outcome(Outcome.Kind.RECOVERED, report, Optional.of(taken),
                        Optional.of(recovered), Optional.empty(), started, context.clock().instant()));
            } catch (LadderStop e) {
                LOG.error("{} {}: {}", plan.rung(), plan.candidate(), e.getMessage());
                rows.set(i, rows.get(i).failed(e.getMessage()));
                markRestNotChecked(i + 1, "the walk stopped before it");
                stopMessage = Optional.of(e.getMessage() + e.hint().map(h -> "\nhint: " + h).orElse(""));
                return Optional.of(end(Outcome.Kind.STOPPED, started));
            } catch (LifeboatException e) {
                LOG.warn("{} {}: failed after {} ms and was undone: {}", plan.rung(), plan.candidate(),
                        (System.nanoTime() - begin) / 1_000_000, e.getMessage());
                rows.set(i, rows.get(i).failed(e.getMessage()));
                return Optional.empty();
            }
        }

        Outcome end(Outcome.Kind kind, Instant started) {
            LadderReport report = report();
            Optional<String> message = switch (kind) {
                case STOPPED -> stopMessage;
                case REFUSED -> report.overLimit().or(() -> rows.stream().filter(Assessment::healthy).findFirst())
                        .map(a -> LadderReport.name(a) + " would lose " + a.loss() + ", over recovery.max_data_loss ("
                                + context.recovery().maxDataLoss().map(io.lifeboat.core.config.HumanDuration::format)
                                .orElse("?") + "); nothing was done");
                case NOTHING_HEALTHY -> Optional.of("no rung could bring the database back");
                case RECOVERED -> Optional.empty();
            };
            return new Outcome(kind, report, Optional.empty(), Optional.empty(), message, started,
                    context.clock().instant());
        }
    }
}
