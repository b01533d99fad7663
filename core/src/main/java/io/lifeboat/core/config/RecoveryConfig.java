package io.lifeboat.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code recover} needs beyond the other blocks: where the master's data lives ({@code master.data_directory}),
 * where a recovered database is brought up ({@code recovery.target}), the private key for offsite dumps, the ladder's
 * order and policy, the fence and endpoint-switch hooks, and the loss and time targets.
 *
 * @param masterDataDirectory the master's data directory, as {@code pg_ctl -D} takes it ({@code master.data_directory})
 * @param ladder rung names in the order they are tried; the documented order unless {@code recovery.ladder} is set
 * @param masterStartCommand starts the master in place for {@code restart-master} instead of {@code pg_ctl start}
 *        (e.g. through systemd, so the service manager keeps owning it); {@code {data_directory}} is filled in
 * @param fenceCommand run before {@code promote-standby}; {@code {host}} and {@code {port}} are the old master's
 * @param switchCommand run after a recovery; {@code {host} {port} {database} {rung}} name where the database now runs
 * @param sequenceGap how far past the highest used value every sequence is moved before writes are allowed
 * @param maxDataLoss {@code --auto} never takes a candidate losing more than this without {@code --allow-data-loss}
 * @param rpo the data-loss target the dry-run compares each candidate against
 * @param rto the recovery-time target the dry-run compares each candidate against
 */
public record RecoveryConfig(
        Optional<Path> masterDataDirectory,
        Optional<Target> target,
        Optional<Path> key,
        Optional<Path> passphraseFile,
        List<String> ladder,
        Prefer prefer,
        Optional<String> masterStartCommand,
        Optional<String> fenceCommand,
        Optional<String> switchCommand,
        long sequenceGap,
        Optional<Duration> maxDataLoss,
        Optional<Duration> rpo,
        Optional<Duration> rto) {

    /** The rungs in their documented order: the default ladder, and every name {@code recovery.ladder} accepts. */
    public static final List<String> RUNGS = List.of("restart-master", "master-volume-snapshot", "promote-standby",
            "latest-snapshot", "older-snapshots", "offsite-dump");
    public static final long DEFAULT_SEQUENCE_GAP = 1000;
    public static final int DEFAULT_TARGET_PORT = 5432;

    public RecoveryConfig {
        ladder = List.copyOf(ladder);
    }

    /** No recovery block and no {@code master.data_directory}: every default. */
    public static RecoveryConfig defaults() {
        return new RecoveryConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), RUNGS,
                Prefer.FIRST_HEALTHY, Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_SEQUENCE_GAP, Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /** Where rungs that copy or restore a source bring the recovered database up. */
    public record Target(Path dataDirectory, int port) {
    }

    /** Which verified candidate {@code --auto} takes. */
    public enum Prefer {
        /** The first in ladder order. */
        FIRST_HEALTHY,
        /** The one that loses least; ties go to the faster one. */
        LEAST_DATA_LOSS;

        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Optional<Prefer> fromConfig(String text) {
            for (Prefer prefer : values()) {
                if (prefer.configName().equals(text.strip())) {
                    return Optional.of(prefer);
                }
            }
            return Optional.empty();
        }
    }

    /** {@code master.data_directory}, read from the master block before its connection keys are checked. */
    static Optional<Path> readMasterDataDirectory(ConfigSection master) {
        Optional<Path> directory = master.string("data_directory").map(Path::of);
        if (directory.isPresent() && !directory.get().isAbsolute()) {
            master.error("data_directory", "must be an absolute path");
            return Optional.empty();
        }
        return directory;
    }

    static RecoveryConfig read(ConfigSection section, Optional<Path> masterDataDirectory) {
        Optional<Target> target = readTarget(section.section("target"));
        Optional<Path> key = section.string("key").map(section.reader()::resolve);
        Optional<Path> passphraseFile = section.string("passphrase_file").map(section.reader()::resolve);
        List<String> ladder = readLadder(section);
        Prefer prefer = section.parsed("prefer", text -> Prefer.fromConfig(text).orElseThrow(
                () -> new IllegalArgumentException("'" + text + "' is not first-healthy or least-data-loss")))
                .orElse(Prefer.FIRST_HEALTHY);
        Optional<String> masterStart = command(section, "master_start_command");
        Optional<String> fence = command(section, "fence_command");
        Optional<String> switchCommand = command(section, "switch_command");
        long gap = section.integer("sequence_gap", 1, Integer.MAX_VALUE).map(Integer::longValue)
                .orElse(DEFAULT_SEQUENCE_GAP);
        Optional<Duration> maxDataLoss = section.parsed("max_data_loss", HumanDuration::parse);
        Optional<Duration> rpo = section.parsed("rpo", HumanDuration::parse);
        Optional<Duration> rto = section.parsed("rto", HumanDuration::parse);
        section.rejectUnknownKeys();
        return new RecoveryConfig(masterDataDirectory, target, key, passphraseFile, ladder, prefer, masterStart,
                fence, switchCommand, gap, maxDataLoss, rpo, rto);
    }

    private static Optional<Target> readTarget(ConfigSection section) {
        if (section.keys().isEmpty()) {
            section.rejectUnknownKeys();
            return Optional.empty();
        }
        Optional<Path> directory = section.requiredString("data_directory").map(Path::of);
        directory.filter(path -> !path.isAbsolute())
                .ifPresent(path -> section.error("data_directory", "must be an absolute path"));
        int port = section.integer("port", 1, 65535).orElse(DEFAULT_TARGET_PORT);
        section.rejectUnknownKeys();
        return directory.filter(Path::isAbsolute).map(path -> new Target(path.normalize(), port));
    }

    private static List<String> readLadder(ConfigSection section) {
        if (!section.has("ladder")) {
            section.stringList("ladder");
            return RUNGS;
        }
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String name : section.stringList("ladder")) {
            String rung = name.strip();
            if (!RUNGS.contains(rung)) {
                section.error("ladder", "'" + rung + "' is not a rung (" + String.join(", ", RUNGS) + ")");
            } else if (!seen.add(rung)) {
                section.error("ladder", "'" + rung + "' is listed twice");
            } else {
                names.add(rung);
            }
        }
        if (names.isEmpty() && seen.isEmpty()) {
            section.error("ladder", "must name at least one rung");
        }
        return names;
    }

    private static Optional<String> command(ConfigSection section, String key) {
        Optional<String> command = section.string(key);
        if (command.isPresent() && command.get().isBlank()) {
            section.error(key, "must not be empty (leave the key out for none)");
            return Optional.empty();
        }
        if (command.isPresent() && unbalancedQuotes(command.get())) {
            section.error(key, "has an unclosed quote");
            return Optional.empty();
        }
        return command;
    }

    /** The command is split into words by quotes before placeholders are filled; an unclosed quote cannot be split. */
    private static boolean unbalancedQuotes(String text) {
        char quote = 0;
        for (char c : text.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            }
        }
        return quote != 0;
    }
}
