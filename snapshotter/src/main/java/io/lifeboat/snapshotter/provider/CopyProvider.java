package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Set;

/**
 * A file-level copy of the volume taken between backup start and stop, for hosts without snapshot-capable storage.
 * The copy is fuzzy like any base backup; the WAL saved from backup start to stop makes it consistent on restore.
 * What PostgreSQL's own base backups leave out is left out here too (WAL, pid file, slots, temp files).
 */
public final class CopyProvider implements SnapshotProvider {
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem",
            "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans", "pgsql_tmp");
    private static final Set<String> SKIPPED = Set.of("postmaster.pid", "postmaster.opts");

    private final Path volume;

    public CopyProvider(SnapshotsConfig config) {
        this.volume = Path.of(config.volume());
    }

    @Override
    public SnapshotsConfig.Kind kind() {
        return SnapshotsConfig.Kind.COPY;
    }

    @Override
    public boolean needsFreeze() {
        return false;
    }

    @Override
    public void preflight() {
        if (!Files.isDirectory(volume)) {
            throw new LifeboatException("snapshots.volume " + volume + " is not a directory");
        }
    }

    @Override
    public void create(StoredSnapshot snapshot, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        Path target = snapshot.volumeCopy();
        try {
            Files.walkFileTree(volume, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    checkTime(deadline, limit);
                    Files.copy(dir, target.resolve(volume.relativize(dir).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                    return EMPTIED.contains(dir.getFileName().toString()) && !dir.equals(volume)
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!SKIPPED.contains(file.getFileName().toString()) && !attrs.isOther()) {
                        try {
                            Files.copy(file, target.resolve(volume.relativize(file).toString()),
                                    StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                        } catch (NoSuchFileException e) {
                            // Dropped by the server during the copy; WAL replay does not need it.
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new LifeboatException("cannot copy " + volume + " into " + target + " (" + e + ")", e);
        }
    }

    private static void checkTime(long deadline, Duration limit) {
        if (System.nanoTime() > deadline) {
            throw new LifeboatException("the copy did not finish within " + limit.toSeconds() + " s",
                    "raise snapshots.lock_timeout: a copy takes as long as reading the whole volume", null);
        }
    }

    @Override
    public void rename(StoredSnapshot incomplete, StoredSnapshot complete) {
        // The copy lives inside the metadata directory and moves with it.
    }

    @Override
    public void delete(StoredSnapshot snapshot) {
        DirectoryRemoval.remove(snapshot.volumeCopy());
    }

    @Override
    public Path materialize(StoredSnapshot snapshot, Path at) {
        return VolumeCopy.copy(snapshot.volumeCopy(), at);
    }

    @Override
    public void release(Path materialized) {
        DirectoryRemoval.remove(materialized);
    }
}
