package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Only one recovery at a time: an exclusive lock on a file on this host (beside the config file), so it holds when
 * the standby, and with it the catalog, is gone. The lock dies with the process; the file says who held it last.
 */
public final class RecoveryLock implements AutoCloseable {
    public static final String FILE_NAME = ".lifeboat-recover.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RecoveryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws LifeboatException naming the other recovery when one holds the lock */
    public static RecoveryLock acquire(Path file, Instant now) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LifeboatException("cannot open the recovery lock " + file + " (" + e.getMessage() + ")", e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            close(channel);
            throw new LifeboatException("cannot lock " + file + " (" + e.getMessage() + ")", e);
        }
        if (lock == null) {
            String holder = holder(file);
            close(channel);
            throw new LifeboatException("another recovery is running (" + holder + "); not starting a second one",
                    "wait for it to finish; the lock is " + file, null);
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", since " + now + "\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
        } catch (IOException e) {
            // Who holds it is only a courtesy to the next one; the lock itself is what counts.
        }
        return new RecoveryLock(channel, lock);
    }

    private static String holder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "lock " + file : text;
        } catch (IOException e) {
            return "lock " + file;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it too.
        }
        close(channel);
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing is left to release.
        }
    }
}
