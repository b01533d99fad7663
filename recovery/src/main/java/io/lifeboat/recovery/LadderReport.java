package io.lifeboat.recovery;

import io.lifeboat.core.config.RecoveryConfig;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Every candidate of the ladder assessed, against one reference position, and what each policy would take.
 *
 * @param overLimit the candidate the policy would take when it loses more than {@code recovery.max_data_loss}
 *        (then {@code chosen} is empty unless {@code --allow-data-loss} was given)
 */
public record LadderReport(List<Assessment> assessments, Reference reference, RecoveryConfig.Prefer prefer,
        Optional<Assessment> firstHealthy, Optional<Assessment> leastDataLoss, Optional<Assessment> chosen,
        Optional<Assessment> overLimit) {

    public LadderReport {
        assessments = List.copyOf(assessments);
    }

    static LadderReport of(List<Assessment> assessments, Reference reference, RecoveryContext context) {
        List<Assessment> healthy = assessments.stream().filter(Assessment::healthy).toList();
        Optional<Assessment> first = healthy.stream().findFirst();
        Optional<Assessment> least = healthy.stream().min(LEAST_LOSS);
        RecoveryConfig.Prefer prefer = context.recovery().prefer();
        Optional<Assessment> preferred = prefer == RecoveryConfig.Prefer.FIRST_HEALTHY ? first : least;
        Optional<Duration> limit = context.recovery().maxDataLoss();
        boolean over = preferred.isPresent() && limit.isPresent() && preferred.get().loss().exceeds(limit.get());
        Optional<Assessment> chosen = over && !context.options().allowDataLoss() ? Optional.empty() : preferred;
        return new LadderReport(assessments, reference, prefer, first, least, chosen,
                over ? preferred : Optional.empty());
    }

    /** Least bytes of WAL lost, then least time, then the quickest to bring up; unknowns last. */
    static final Comparator<Assessment> LEAST_LOSS = Comparator
            .comparing((Assessment a) -> a.loss().bytes().orElse(Long.MAX_VALUE))
            .thenComparing(a -> a.loss().time().orElse(Duration.ofDays(100_000)))
            .thenComparing(a -> a.expected().orElse(Duration.ofDays(100_000)));

    /** The table's last line: what {@code --auto} would take, and what the other policy would. */
    public String choiceLine() {
        String other = prefer == RecoveryConfig.Prefer.FIRST_HEALTHY ? "least-data-loss" : "first-healthy";
        Optional<Assessment> otherChoice = prefer == RecoveryConfig.Prefer.FIRST_HEALTHY ? leastDataLoss : firstHealthy;
        String otherText = otherChoice.equals(chosen.or(() -> overLimit)) ? other + " would take the same"
                : other + " would take " + otherChoice.map(LadderReport::name).orElse("nothing");
        if (chosen.isPresent()) {
            return "--auto would take: " + name(chosen.get()) + ", losing " + chosen.get().loss() + " (prefer "
                    + prefer.configName() + "; " + otherText + ")";
        }
        if (overLimit.isPresent()) {
            return "--auto would stop: " + name(overLimit.get()) + " loses " + overLimit.get().loss()
                    + ", over recovery.max_data_loss; take it with --allow-data-loss (" + otherText + ")";
        }
        return "--auto would find nothing healthy: no rung can bring the database back";
    }

    static String name(Assessment assessment) {
        return assessment.rung() + " " + assessment.candidate();
    }
}
