package io.lifeboat.cli;

import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.core.config.RecoveryConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.recovery.Assessment;
import io.lifeboat.recovery.EndpointSwitch;
import io.lifeboat.recovery.Ladder;
import io.lifeboat.recovery.LadderReport;
import io.lifeboat.recovery.Outcome;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Recovery;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.RecoveryLock;
import io.lifeboat.recovery.RecoveryOptions;
import io.lifeboat.recovery.RecoveryRecord;
import io.lifeboat.recovery.RecoveryReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "recover", mixinStandardHelpOptions = true,
        description = {"Bring the database back from the best source that proves healthy, walking the ladder:",
            "restart-master, master-volume-snapshot, promote-standby, latest-snapshot, older-snapshots, offsite-dump",
            "(recovery.ladder may reorder or drop rungs). --dry-run only probes and verifies, on scratch copies.",
            "Exit 0 a database is up and checked (or, with --dry-run, one would be), 1 it is up but the switch",
            "command failed (dry-run: the choice needs --allow-data-loss), 2 no rung could provide one."})
final class RecoverCommand implements Callable<Integer> {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    @ParentCommand
    LifeboatCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--auto", description = "Walk the whole ladder and bring up the candidate the policy"
            + " (recovery.prefer) picks.")
    boolean auto;

    @Option(names = "--from", paramLabel = "RUNG", description = "Run one rung by hand, with the same checks.")
    String from;

    @Option(names = "--candidate", paramLabel = "ID", description = "With --from: this candidate (a snapshot name,"
            + " TARGET/ID of a backup) instead of the rung's best.")
    String candidate;

    @Option(names = "--dry-run", description = "Probe and verify every rung and print the table; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--allow-data-loss", description = "Take a candidate that loses more than recovery.max_data_loss.")
    boolean allowDataLoss;

    @Option(names = "--force", description = "Promote although the old master still answers; move a non-empty"
            + " recovery target aside.")
    boolean force;

    @Option(names = "--report", paramLabel = "FILE", description = "Where to write the JSON report (default: beside"
            + " the config file, lifeboat-recovery-TIME.json).")
    Path reportFile;

    private final Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        if (auto == (from != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --auto or --from RUNG");
        }
        if (candidate != null && from == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--candidate goes with --from RUNG");
        }
        if (from != null && !RecoveryConfig.RUNGS.contains(from)) {
            throw new LifeboatException("unknown rung '" + from + "'", "rungs: " + String.join(", ",
                    RecoveryConfig.RUNGS), null);
        }
        LoadedConfig loaded = root.loadConfig();
        LifeboatConfig config = loaded.config();
        Ladder ladder = from != null ? new Ladder(List.of(Ladder.rung(from))) : Ladder.of(config.recovery().ladder());
        try (RecoveryContext context = new RecoveryContext(config, new RecoveryOptions(force, allowDataLoss), clock,
                () -> terminalPassphrase(config))) {
            Thread interrupted = new Thread(context::stopScratchServers, "lifeboat-recover-stop");
            Runtime.getRuntime().addShutdownHook(interrupted);
            try {
                return dryRun ? dryRun(context, ladder) : recover(context, ladder, config);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(interrupted);
                } catch (IllegalStateException e) {
                    // The JVM is already shutting down: the hook runs.
                }
            }
        }
    }

    private int dryRun(RecoveryContext context, Ladder ladder) {
        LadderReport report = new Recovery(context, ladder).assess();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(RecoveryReport.json(RecoveryReport.of(report, context)));
        } else {
            printTable(out, report, context);
            out.println(report.choiceLine());
        }
        out.flush();
        if (reportFile != null) {
            write(reportFile, RecoveryReport.json(RecoveryReport.of(report, context)));
        }
        return report.chosen().isPresent() ? ExitCode.OK.code()
                : report.overLimit().isPresent() ? ExitCode.WARNING.code() : ExitCode.ERROR.code();
    }

    private int recover(RecoveryContext context, Ladder ladder, LifeboatConfig config) {
        Path configDirectory = config.source().toAbsolutePath().getParent();
        try (RecoveryLock lock = RecoveryLock.acquire(configDirectory.resolve(RecoveryLock.FILE_NAME), clock.instant())) {
            Recovery recovery = new Recovery(context, ladder);
            Outcome outcome = from != null ? recovery.recoverFrom(from, Optional.ofNullable(candidate))
                    : recovery.recover();
            Optional<EndpointSwitch.Result> endpointSwitch = outcome.recovered()
                    .flatMap(up -> EndpointSwitch.run(context, outcome.taken().orElseThrow(), up));
            Map<String, Object> report = RecoveryReport.of(outcome, endpointSwitch, context);
            String text = RecoveryReport.json(report);
            Path file = reportFile != null ? reportFile
                    : configDirectory.resolve("lifeboat-recovery-" + STAMP.format(outcome.startedAt()) + ".json");
            write(file, text);
            Optional<String> recorded = Optional.empty();
            String recordFailure = null;
            if (outcome.recovered().isPresent()) {
                try {
                    recorded = Optional.of(RecoveryRecord.write(context, outcome, text));
                } catch (LifeboatException e) {
                    recordFailure = e.getMessage();
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (json) {
                out.println(text);
            } else {
                printTable(out, outcome.ladder(), context);
                printOutcome(out, outcome, endpointSwitch, file, recorded);
            }
            out.flush();
            if (recordFailure != null) {
                err.println("warning: the recovery is not recorded in the recovered database (" + recordFailure
                        + "); the report is in " + file);
            }
            if (outcome.kind() != Outcome.Kind.RECOVERED) {
                err.println("error: " + outcome.message().orElse("no rung could bring the database back"));
                if (outcome.kind() == Outcome.Kind.NOTHING_HEALTHY) {
                    for (Assessment row : outcome.ladder().assessments()) {
                        err.println("  " + row.rung() + " " + row.candidate() + ": " + row.stateText());
                    }
                }
                if (outcome.kind() == Outcome.Kind.REFUSED) {
                    err.println("hint: nothing was changed; rerun with --allow-data-loss to take it");
                }
                err.flush();
                return ExitCode.ERROR.code();
            }
            if (endpointSwitch.isPresent() && !endpointSwitch.get().ok()) {
                err.println("error: the switch command failed (exit " + endpointSwitch.get().exitCode() + ")"
                        + (endpointSwitch.get().lastLine().isEmpty() ? "" : ": " + endpointSwitch.get().lastLine())
                        + "; the database stays up on " + outcome.recovered().get().host() + ":"
                        + outcome.recovered().get().port());
                err.println("hint: point the applications at it by hand, or fix recovery.switch_command and run it");
                err.flush();
                return ExitCode.WARNING.code();
            }
            err.flush();
            return ExitCode.OK.code();
        }
    }

    private static void printOutcome(PrintWriter out, Outcome outcome, Optional<EndpointSwitch.Result> endpointSwitch,
            Path file, Optional<String> recorded) {
        Duration took = Duration.between(outcome.startedAt(), outcome.finishedAt());
        if (outcome.recovered().isEmpty()) {
            out.printf(Locale.ROOT, "nothing recovered (%.1f s); report: %s%n", took.toMillis() / 1000.0, file);
            return;
        }
        Assessment taken = outcome.taken().orElseThrow();
        Recovered up = outcome.recovered().get();
        out.println("recovered from: " + taken.rung() + " " + taken.candidate());
        out.println("now running on: " + up.host() + ":" + up.port() + ", database " + up.database()
                + up.dataDirectory().map(d -> " (data directory " + d + ")").orElse(""));
        out.println("data lost:      " + taken.loss() + " (against " + outcome.ladder().reference().position().lsn()
                .map(Lsn::toString).orElse("an unknown position") + ", " + outcome.ladder().reference().source() + ")");
        out.println("holds:          master LSN " + up.reached().lsn().map(Lsn::toString).orElse("?")
                + up.reached().time().map(t -> " at " + t).orElse(""));
        out.printf(Locale.ROOT, "took:           %.1f s%n", took.toMillis() / 1000.0);
        for (String check : up.checks()) {
            out.println("  " + check);
        }
        endpointSwitch.ifPresent(s -> out.println("switch:         " + s.command() + (s.ok() ? " (exit 0)"
                : " FAILED (exit " + s.exitCode() + ")")));
        out.println("report:         " + file + recorded.map(r -> "; recorded in " + r).orElse(""));
    }

    private static void printTable(PrintWriter out, LadderReport report, RecoveryContext context) {
        out.println("newest master position known: " + report.reference().position().lsn().map(Lsn::toString)
                .orElse("unknown") + report.reference().position().time().map(t -> " at " + t).orElse("")
                + " (" + report.reference().source() + ")");
        List<String[]> rows = new java.util.ArrayList<>();
        rows.add(new String[] {"RUNG", "CANDIDATE", "DATA LOST", "TIME", "STATE"});
        for (Assessment a : report.assessments()) {
            String loss = a.loss().toString();
            if (context.recovery().rpo().isPresent() && a.loss().known() && a.loss().exceeds(context.recovery().rpo()
                    .get())) {
                loss += " (over rpo)";
            }
            String time = a.expected().map(e -> "~" + Math.max(1, e.toSeconds()) + " s").orElse("-");
            if (a.expected().isPresent() && context.recovery().rto().isPresent()
                    && a.expected().get().compareTo(context.recovery().rto().get()) > 0) {
                time += " (over rto)";
            }
            rows.add(new String[] {a.rung(), a.candidate(), a.state() == io.lifeboat.recovery.State.OK
                    || a.state() == io.lifeboat.recovery.State.FAILED ? loss : "-", time, a.stateText()});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            out.printf("%-" + widths[0] + "s  %-" + widths[1] + "s  %-" + widths[2] + "s  %-" + widths[3] + "s  %s%n",
                    (Object[]) row);
        }
    }

    /** The report holds database names and positions, not content; still only its owner reads it. */
    private static void write(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new LifeboatException("cannot write the recovery report " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static char[] terminalPassphrase(LifeboatConfig config) {
        if (System.console() == null) {
            return new char[0];
        }
        char[] typed = System.console().readPassword("passphrase for %s: ",
                config.recovery().key().map(Path::toString).orElse("recovery.key"));
        return typed == null ? new char[0] : typed;
    }
}
