package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real filesystem (btrfs or ext4) on a loop device over a sparse file, mounted under a temp directory. Root only.
 *
 * <p>Right after mounting, the loop device is detached: the kernel then only marks it auto-clear and frees it with
 * the last unmount, so no path (not even a killed JVM with a failed reaper) can leave a loop device behind once the
 * filesystem is unmounted.
 */
public final class LoopVolume implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoopVolume.class);
    private static final Duration COMMAND_LIMIT = Duration.ofMinutes(1);
    private static final Duration DETACH_WAIT = Duration.ofSeconds(10);

    // Tries a clean unmount for a minute (a reaped cluster on the volume may still be exiting), then a lazy one.
    private static final String UNMOUNT_SCRIPT = "i=0; while mountpoint -q \"$1\" && [ $i -lt 60 ]; do "
            + "umount \"$1\" 2>/dev/null || sleep 1; i=$((i+1)); done; "
            + "if mountpoint -q \"$1\"; then umount -l \"$1\"; fi";
    private static final String DETACH_SCRIPT = "for d in $(losetup -n -O NAME -j \"$1\"); do losetup -d \"$d\"; done";

    private final Path directory;
    private final Path image;
    private final Path mountPoint;
    private final Reaper reaper;
    private String device;
    private boolean closed;

    private final String filesystem;

    private LoopVolume(Path directory, Reaper reaper, String filesystem) {
        this.filesystem = filesystem;
        this.directory = directory;
        this.image = directory.resolve("volume.img");
        this.mountPoint = directory.resolve("mnt");
        this.reaper = reaper;
    }

    /** A new, empty, mounted btrfs filesystem of {@code bytes} (sparse: it costs only what is written). */
    public static LoopVolume btrfs(long bytes) {
        return create(bytes, "btrfs");
    }

    /** A new, empty, mounted ext4 filesystem: one whose snapshots (LVM, cloud volumes) need a freeze. */
    public static LoopVolume ext4(long bytes) {
        return create(bytes, "ext4");
    }

    private static LoopVolume create(long bytes, String filesystem) {
        if (!OsUser.isRoot()) {
            throw new LifeboatException("loop volumes need root (losetup, mount): run the tests as root");
        }
        long begin = System.nanoTime();
        Path directory;
        try {
            directory = Files.createTempDirectory("lifeboat-" + filesystem + "-");
            // Others must traverse it: clusters on the volume run as user postgres.
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new LifeboatException("cannot create a directory for a loop volume (" + e + ")", e);
        }
        Path mountPoint = directory.resolve("mnt");
        Path image = directory.resolve("volume.img");
        Reaper reaper = Reaper.arm(filesystem + " volume " + mountPoint, List.of(
                List.of("sh", "-c", UNMOUNT_SCRIPT, "sh", mountPoint.toString()),
                List.of("sh", "-c", DETACH_SCRIPT, "sh", image.toString()),
                List.of("rm", "-rf", directory.toString())));
        LoopVolume volume = new LoopVolume(directory, reaper, filesystem);
        try {
            volume.format(bytes);
        } catch (RuntimeException e) {
            try {
                volume.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        LOG.info("{} volume of {} bytes on {} mounted at {} in {} ms", filesystem, bytes, volume.device, mountPoint,
                (System.nanoTime() - begin) / 1_000_000);
        return volume;
    }

    private void format(long bytes) {
        run("truncate", "-s", String.valueOf(bytes), image.toString());
        device = run("losetup", "-f", "--show", image.toString()).strip();
        if (filesystem.equals("btrfs")) {
            run("mkfs.btrfs", "-f", "-q", device);
        } else {
            run("mkfs." + filesystem, "-q", "-F", device);
        }
        try {
            Files.createDirectory(mountPoint);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + mountPoint, e);
        }
        run("mount", "-t", filesystem, device, mountPoint.toString());
        run("losetup", "-d", device);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** The loop device, e.g. {@code /dev/loop3}; it exists while the volume is mounted. */
    public String device() {
        return device;
    }

    /** A new subvolume directly under the mount point. */
    public Path createSubvolume(String name) {
        requireOpen();
        if (!filesystem.equals("btrfs")) {
            throw new IllegalStateException("subvolumes need btrfs, this volume is " + filesystem);
        }
        Path subvolume = mountPoint.resolve(name);
        run("btrfs", "subvolume", "create", subvolume.toString());
        return subvolume;
    }

    /** Unmounts, which frees the loop device, and deletes the image; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (isMounted()) {
            run("umount", mountPoint.toString());
        }
        // Only reached with a device still attached when formatting failed before the mount.
        run("sh", "-c", DETACH_SCRIPT, "sh", image.toString());
        awaitDetached();
        DirectoryTree.delete(directory);
        reaper.disarm();
        closed = true;
        LOG.info("{} volume at {} removed", filesystem, mountPoint);
    }

    @Override
    public String toString() {
        return filesystem + " volume " + mountPoint + (device == null ? "" : " on " + device);
    }

    private boolean isMounted() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8).stream()
                    .map(line -> line.split(" "))
                    .anyMatch(fields -> fields.length > 1 && fields[1].equals(mountPoint.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mounts", e);
        }
    }

    private void awaitDetached() {
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        while (!run("losetup", "-n", "-O", "NAME", "-j", image.toString()).isBlank()) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("loop device of " + image + " still attached after "
                        + DETACH_WAIT.toSeconds() + " s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LifeboatException("interrupted while waiting for the loop device of " + image, e);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new LifeboatException(filesystem + " volume at " + mountPoint + " is closed");
        }
    }

    private String run(String... argv) {
        return ExternalCommand.of(argv).timeout(COMMAND_LIMIT).run().stdout();
    }
}
