package io.lifeboat.core.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories that hold database content (saved WAL, backup labels, snapshot and backup descriptions,
 * chunks, clones): readable by their owner only, as PostgreSQL keeps its data directory (0600 files, 0700
 * directories). The mode is given at creation, so there is no moment in which another user could open the file;
 * only what already existed is changed afterwards.
 */
public final class PrivateFiles {
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> FILE = PosixFilePermissions.asFileAttribute(FILE_MODE);
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(DIRECTORY_MODE);

    private PrivateFiles() {
    }

    /** Creates {@code directory} and its missing parents, each new one 0700; existing ones stay as they are. */
    public static Path createDirectories(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return directory;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(absolute, DIRECTORY);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
        return directory;
    }

    /** Creates one new directory, 0700; fails if it exists. */
    public static Path createDirectory(Path directory) throws IOException {
        return Files.createDirectory(directory, DIRECTORY);
    }

    /** A new file, 0600, open for writing; fails if it exists. */
    public static FileChannel createNew(Path file) throws IOException {
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE);
    }

    /** Writes {@code bytes} to {@code file}, created 0600 (an existing file is truncated and made 0600). */
    public static void write(Path file, byte[] bytes) throws IOException {
        boolean existed = Files.exists(file);
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), FILE)) {
            if (existed) {
                restrict(file);
            }
            var buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    public static void writeString(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Copies {@code from} over {@code to}, which is 0600 whatever the source's mode. */
    public static void copy(Path from, Path to) throws IOException {
        boolean existed = Files.exists(to);
        try (FileChannel source = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel target = FileChannel.open(to, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING), FILE)) {
            if (existed) {
                restrict(to);
            }
            long size = source.size();
            long done = 0;
            while (done < size) {
                done += source.transferTo(done, size - done, target);
            }
        }
    }

    /** Makes an existing file 0600 or directory 0700 (what another program made, e.g. the root of a copy). */
    public static void restrict(Path path) throws IOException {
        Set<PosixFilePermission> wanted = Files.isDirectory(path) ? DIRECTORY_MODE : FILE_MODE;
        if (!Files.getPosixFilePermissions(path).equals(wanted)) {
            Files.setPosixFilePermissions(path, wanted);
        }
    }
}
