package io.lifeboat.core.storage;

import io.lifeboat.core.error.LifeboatException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Objects as files under a root directory (a mounted offsite disk, an NFS share). A new object is written to a
 * hidden temp file in its final directory, fsynced, renamed into place and the directory fsynced, so after a
 * crash an object either is complete or does not exist. Temp files left by a crash start with a dot and are
 * never listed.
 */
public final class FilesystemTarget implements StorageTarget {
    private static final Logger LOG = LoggerFactory.getLogger(FilesystemTarget.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BUFFER_BYTES = 256 << 10;
    private static final String TEMP_MARK = ".tmp-";

    private final String name;
    private final Path root;
    private final BandwidthLimit bandwidth;

    /** A target named {@code fs:<root>}. */
    public FilesystemTarget(Path root) {
        this("fs:" + root, root, BandwidthLimit.unlimited());
    }

    /** A target named {@code name} (e.g. {@code fs:offsite}) under {@code root}, writing no faster than {@code bandwidth}. */
    public FilesystemTarget(String name, Path root, BandwidthLimit bandwidth) {
        this.name = name;
        this.root = root.toAbsolutePath().normalize();
        this.bandwidth = bandwidth;
    }

    @Override
    public String name() {
        return name;
    }

    public Path root() {
        return root;
    }

    @Override
    public ObjectOutput create(String key) {
        Path file = file(key);
        Path temp = file.resolveSibling("." + file.getFileName() + TEMP_MARK + randomSuffix());
        try {
            PrivateFiles.createDirectories(file.getParent());
            FileChannel channel = PrivateFiles.createNew(temp);
            return new FileOutput(key, file, temp, channel);
        } catch (IOException e) {
            throw failure("write", key, e);
        }
    }

    @Override
    public InputStream open(String key) {
        Path file = file(key);
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, name);
        } catch (IOException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        Path file = file(key);
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return Optional.of(new ObjectInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("stat", key, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        if (!Files.isDirectory(root)) {
            throw new LifeboatException("cannot list " + name + " (directory " + root + " does not exist)");
        }
        List<ObjectInfo> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .filter(path -> !path.getFileName().toString().startsWith("."))
                    .forEach(path -> {
                        String key = root.relativize(path).toString().replace('\\', '/');
                        if (key.startsWith(prefix)) {
                            stat(key).ifPresent(found::add);
                        }
                    });
        } catch (IOException | UncheckedIOException e) {
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw failure("list", prefix.isEmpty() ? "objects" : prefix + "*", cause);
        }
        found.sort((a, b) -> a.key().compareTo(b.key()));
        return found;
    }

    @Override
    public void delete(String key) {
        Path file = file(key);
        try {
            Files.deleteIfExists(file);
            removeEmptyParents(file.getParent());
        } catch (IOException e) {
            throw failure("delete", key, e);
        }
    }

    /** A backup's directory goes when its last object does, so deleted backups leave no empty directories. */
    private void removeEmptyParents(Path directory) throws IOException {
        for (Path dir = directory; dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        // Holds no open resources between calls.
    }

    @Override
    public String toString() {
        return name;
    }

    private Path file(String key) {
        return root.resolve(Keys.check(key, name));
    }

    private LifeboatException failure(String verb, String key, IOException e) {
        String preposition = verb.equals("write") ? " to " : " on ";
        return new LifeboatException("cannot " + verb + " " + key + preposition + name + " (" + reason(e) + ")", e);
    }

    /** The operating system's reason, e.g. "no space left on device"; the exception type where Java has one. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + " does not exist";
        }
        String text = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        if (text == null || text.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return text.toLowerCase(Locale.ROOT);
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private final class FileOutput extends ObjectOutput {
        private final String key;
        private final Path file;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private boolean committed;
        private boolean closed;

        FileOutput(String key, Path file, Path temp, FileChannel channel) {
            this.key = key;
            this.file = file;
            this.temp = temp;
            this.channel = channel;
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            requireOpen();
            try {
                bandwidth.acquire(length);
                out.write(bytes, offset, length);
            } catch (IOException e) {
                throw failure("write", key, e);
            }
        }

        @Override
        public void commit() {
            requireOpen();
            long begin = System.nanoTime();
            try {
                out.flush();
                channel.force(true);
                channel.close();
                moveIntoPlace();
                syncDirectory(file.getParent());
                committed = true;
                closed = true;
            } catch (IOException e) {
                discard(e);
                throw failure("write", key, e);
            }
            LOG.debug("{} committed on {} in {} ms", key, name, (System.nanoTime() - begin) / 1_000_000);
        }

        private void moveIntoPlace() throws IOException {
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the filesystem under " + root + " cannot rename atomically", e);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            discard(null);
            LOG.debug("{} on {} aborted", key, name);
        }

        private void discard(IOException failure) {
            closed = true;
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else {
                    LOG.warn("cannot remove temp file {} of aborted {} on {} ({})", temp, key, name, reason(e));
                }
            }
        }

        private void requireOpen() {
            if (closed) {
                throw new IllegalStateException(key + " on " + name + " is already " + (committed ? "committed" : "closed"));
            }
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
