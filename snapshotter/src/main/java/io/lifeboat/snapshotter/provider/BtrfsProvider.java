package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Read-only btrfs subvolume snapshots kept inside each snapshot's metadata directory. btrfs snapshots are atomic, so
 * no freeze (a frozen btrfs would even make the snapshot hang until thawed).
 */
public final class BtrfsProvider implements SnapshotProvider {
    private static final Duration COMMAND_LIMIT = Duration.ofMinutes(5);

    private final Path volume;
    private final Path directory;

    public BtrfsProvider(SnapshotsConfig config) {
        this.volume = Path.of(config.volume());
        this.directory = config.directory();
    }

    @Override
    public SnapshotsConfig.Kind kind() {
        return SnapshotsConfig.Kind.BTRFS;
    }

    @Override
    public boolean needsFreeze() {
        return false;
    }

    @Override
    public void preflight() {
        if (!isSubvolume(volume)) {
            throw new LifeboatException("snapshots.volume " + volume + " is not a btrfs subvolume",
                    "create the data directory's volume with: btrfs subvolume create " + volume, null);
        }
        try {
            Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new LifeboatException("cannot create snapshots.directory " + directory + " (" + e.getMessage() + ")", e);
        }
        String volumeDevice = device(volume);
        String directoryDevice = device(directory);
        if (!volumeDevice.equals(directoryDevice)) {
            throw new LifeboatException("snapshots.directory " + directory + " is on " + directoryDevice
                    + ", not on the volume's btrfs filesystem (" + volumeDevice + ")",
                    "btrfs can only snapshot into the same filesystem", null);
        }
    }

    @Override
    public void create(StoredSnapshot snapshot, Duration limit) {
        run(limit, "btrfs", "subvolume", "snapshot", "-r", volume.toString(), snapshot.volumeCopy().toString());
    }

    @Override
    public void rename(StoredSnapshot incomplete, StoredSnapshot complete) {
        // The subvolume lives inside the metadata directory and moves with it.
    }

    @Override
    public void delete(StoredSnapshot snapshot) {
        if (Files.exists(snapshot.volumeCopy())) {
            run(COMMAND_LIMIT, "btrfs", "subvolume", "delete", snapshot.volumeCopy().toString());
        }
    }

    @Override
    public Path materialize(StoredSnapshot snapshot, Path at) {
        if (Files.exists(at)) {
            throw new LifeboatException(at + " already exists; choose an empty place for the copy");
        }
        Path parent = at.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new LifeboatException("cannot create " + parent + " (" + e.getMessage() + ")", e);
        }
        if (device(parent).equals(device(snapshot.volumeCopy()))) {
            run(COMMAND_LIMIT, "btrfs", "subvolume", "snapshot", snapshot.volumeCopy().toString(), at.toString());
            return at;
        }
        return VolumeCopy.copy(snapshot.volumeCopy(), at);
    }

    @Override
    public void release(Path materialized) {
        if (isSubvolume(materialized)) {
            run(COMMAND_LIMIT, "btrfs", "subvolume", "delete", materialized.toString());
        } else {
            DirectoryRemoval.remove(materialized);
        }
    }

    private static boolean isSubvolume(Path path) {
        return Files.isDirectory(path) && ExternalCommand.of("btrfs", "subvolume", "show", path.toString())
                .timeout(COMMAND_LIMIT).runAllowingFailure().exitCode() == 0;
    }

    /** The block device a path's filesystem is mounted from, without btrfs's {@code [/subvolume]} suffix. */
    private static String device(Path path) {
        String source = ExternalCommand.of("findmnt", "-n", "-o", "SOURCE", "--target", path.toString())
                .timeout(COMMAND_LIMIT).run().stdout().strip();
        int bracket = source.indexOf('[');
        return bracket < 0 ? source : source.substring(0, bracket);
    }

    private static void run(Duration limit, String... argv) {
        try {
            ExternalCommand.of(argv).timeout(limit).run();
        } catch (ExternalCommandException e) {
            throw new LifeboatException(String.join(" ", argv) + ": " + e.getMessage(), e);
        }
    }
}
