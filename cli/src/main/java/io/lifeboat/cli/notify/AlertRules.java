package io.lifeboat.cli.notify;

import io.lifeboat.cli.status.Readings;
import io.lifeboat.cli.status.Source;
import io.lifeboat.cli.status.Status;
import io.lifeboat.cli.status.StatusTree;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.MonitorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Which alert conditions hold in a status: lag, a source's RPO, a failed job, a table out of sync, slot WAL, a rung. */
public final class AlertRules {
    private AlertRules() {
    }

    public static List<Alert> evaluate(Status status, LifeboatConfig config) {
        List<Alert> alerts = new ArrayList<>();
        MonitorConfig.Thresholds limits = config.monitor().thresholds();
        Readings.Replication replication = status.readings().replication();
        replication.lag(status.at()).filter(lag -> lag.compareTo(limits.lagWarning()) > 0).ifPresent(lag -> {
            boolean critical = lag.compareTo(limits.lagCritical()) > 0;
            alerts.add(new Alert("replication_lag", "LifeboatReplicationLag", critical ? "critical" : "warning",
                    "replication lag " + HumanDuration.format(Duration.ofSeconds(lag.toSeconds())) + " is past "
                            + (critical ? "lag_critical " + HumanDuration.format(limits.lagCritical())
                            : "lag_warning " + HumanDuration.format(limits.lagWarning())),
                    "the standby is behind the master; check sync run's log and the standby's load"));
        });
        DataSize walLimit = config.replication().retainedWalWarning();
        if (replication.retainedBytes().isPresent() && replication.retainedBytes().getAsLong() > walLimit.bytes()) {
            alerts.add(new Alert("slot_retained_wal", "LifeboatSlotRetainedWal", "warning", "slot "
                    + config.replication().slot() + " retains " + DataSize.ofBytes(replication.retainedBytes()
                    .getAsLong()).approximate() + " of WAL, past replication.retained_wal_warning " + walLimit,
                    "the master keeps WAL until the standby applies it: a stopped sync run fills the master's disk"));
        }
        for (Readings.Job job : status.readings().jobs().values()) {
            job.last().filter(Readings.Run::failed).ifPresent(run -> alerts.add(new Alert("job_failed:" + job.kind(),
                    "LifeboatJobFailed", "critical", job.kind() + " job failed: " + run.message(),
                    "the service retries it with backoff; lifeboat status shows the last run of each job")));
        }
        status.readings().validation().ifPresent(validation -> {
            for (String table : validation.outOfSync()) {
                String command = StatusTree.resyncCommand(config, table);
                alerts.add(new Alert("table_out_of_sync:" + table, "LifeboatTableOutOfSync", "warning",
                        table + " differs between master and standby", "repair it: " + command));
            }
        });
        status.rpoTarget().ifPresent(target -> {
            for (Source source : status.sources()) {
                if (source.verified() && source.rpo().isPresent() && source.rpo().get().compareTo(target) > 0) {
                    alerts.add(new Alert("source_rpo:" + source.rung(), "LifeboatSourceRpo", "warning",
                            source.rung() + " would lose " + HumanDuration.format(Duration.ofSeconds(source.rpo()
                                    .get().toSeconds())) + ", past recovery.rpo " + HumanDuration.format(target),
                            "the source is older than the data-loss target allows"));
                }
            }
        });
        for (Source source : status.sources()) {
            if (!source.verified() && !source.state().equals("not checked")) {
                alerts.add(new Alert("rung_unavailable:" + source.rung(), "LifeboatRungUnavailable",
                        source.state().equals("unavailable") ? "warning" : "critical",
                        "recovery rung " + source.rung() + " is " + source.state() + ": " + source.reason(),
                        "found by the last recovery dry-run; lifeboat recover --auto --dry-run shows the ladder"));
            }
        }
        return alerts;
    }
}
