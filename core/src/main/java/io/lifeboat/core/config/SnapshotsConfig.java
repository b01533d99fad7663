package io.lifeboat.core.config;

import io.lifeboat.core.retention.RetentionSchedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code snapshots} block: which volume holds the master's data directory, how it is snapshotted, where the
 * snapshots and their metadata live and how long they are kept.
 *
 * @param volume the btrfs subvolume or mounted directory (btrfs, copy, command), {@code VG/LV} (lvm) or dataset (zfs)
 * @param directory where each snapshot's metadata directory is kept; for btrfs also the snapshots themselves, so it
 *        must be on the volume's filesystem
 * @param mount the mounted filesystem to freeze while an LVM (or freezing command) snapshot is created
 * @param lockTimeout the bound within which the master is out of backup mode and thawed, whatever happens
 * @param commands the operator's commands, for the {@code command} provider
 */
public record SnapshotsConfig(
        Kind provider,
        String volume,
        Path directory,
        Optional<Path> mount,
        RetentionSchedule schedule,
        Duration lockTimeout,
        boolean verify,
        boolean freeze,
        Optional<DataSize> lvmSnapshotSize,
        Commands commands) {

    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);
    public static final String DEFAULT_SCHEDULE = "1h,1d/7d";

    /** Every snapshot provider there is; config names are the lowercase names. */
    public enum Kind {
        BTRFS, LVM, ZFS, COPY, COMMAND;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.configName().equals(text.strip())) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not a provider (btrfs, lvm, zfs, copy or command)");
        }
    }

    /** Shell-free command templates with {@code {name}}, {@code {volume}} and {@code {target}} placeholders. */
    public record Commands(Optional<String> create, Optional<String> delete, Optional<String> cloneTo) {
        static final Commands NONE = new Commands(Optional.empty(), Optional.empty(), Optional.empty());
    }

    static Optional<SnapshotsConfig> read(ConfigSection section) {
        if (section.keys().isEmpty()) {
            section.rejectUnknownKeys();
            return Optional.empty();
        }
        Optional<Kind> provider = section.requiredString("provider").flatMap(text -> {
            try {
                return Optional.of(Kind.parse(text));
            } catch (IllegalArgumentException e) {
                section.error("provider", e.getMessage());
                return Optional.empty();
            }
        });
        Optional<String> volume = section.requiredString("volume");
        Optional<Path> directory = section.requiredString("directory").map(Path::of);
        directory.filter(path -> !path.isAbsolute())
                .ifPresent(path -> section.error("directory", "must be an absolute path"));
        Optional<Path> mount = section.string("mount").map(Path::of);
        RetentionSchedule schedule = section.parsed("schedule", RetentionSchedule::parse)
                .orElseGet(() -> RetentionSchedule.parse(DEFAULT_SCHEDULE));
        Duration lockTimeout = section.parsed("lock_timeout", HumanDuration::parse).orElse(DEFAULT_LOCK_TIMEOUT);
        if (lockTimeout.compareTo(Duration.ofSeconds(2)) < 0 || lockTimeout.compareTo(Duration.ofHours(24)) > 0) {
            section.error("lock_timeout", HumanDuration.format(lockTimeout) + " is out of range (2s to 24h)");
        }
        boolean verify = section.bool("verify").orElse(true);
        Optional<DataSize> lvmSize = section.parsed("lvm_snapshot_size", DataSize::parse);
        boolean freezeDefault = provider.map(kind -> kind == Kind.LVM).orElse(false);
        boolean freeze = section.bool("freeze").orElse(freezeDefault);
        ConfigSection commandSection = section.section("commands");
        Commands commands = new Commands(commandSection.string("create"), commandSection.string("delete"),
                commandSection.string("clone"));
        commandSection.rejectUnknownKeys();
        provider.ifPresent(kind -> {
            if (kind == Kind.COMMAND && commands.create().isEmpty()) {
                section.error("commands", "the command provider needs commands.create");
            }
            if (kind == Kind.LVM && lvmSize.isEmpty()) {
                section.error("lvm_snapshot_size", "missing (required for lvm: the copy-on-write space, e.g. 10GiB)");
            }
            if ((kind == Kind.BTRFS || kind == Kind.ZFS) && freeze) {
                section.error("freeze", kind.configName() + " snapshots are atomic; freezing would make them hang");
            }
        });
        if (freeze && mount.isEmpty()) {
            section.error("mount", "missing (required to freeze the filesystem)");
        }
        section.rejectUnknownKeys();
        if (provider.isEmpty() || volume.isEmpty() || directory.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SnapshotsConfig(provider.get(), volume.get(), directory.get(), mount, schedule,
                lockTimeout, verify, freeze, lvmSize, commands));
    }
}
