package io.lifeboat.snapshotter.cycle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The snapshots directory: one metadata directory per snapshot, named like the snapshot. A snapshot is complete
 * exactly when its directory has lost the {@code _incomplete} suffix, which happens in one rename after its metadata
 * is written and synced.
 */
public final class SnapshotStore {
    static final String METADATA_FILE = "snapshot.json";
    static final String VERIFICATION_FILE = "verification.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private final Path root;

    public SnapshotStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Every snapshot, complete or not, oldest first. */
    public List<StoredSnapshot> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<StoredSnapshot> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(root)) {
            for (Path entry : entries.toList()) {
                String fileName = entry.getFileName().toString();
                Optional<SnapshotName> name = SnapshotName.parse(fileName);
                if (name.isEmpty() || !Files.isDirectory(entry)) {
                    continue;
                }
                boolean incomplete = SnapshotName.isIncomplete(fileName);
                Optional<SnapshotMetadata> metadata = incomplete ? Optional.empty()
                        : read(entry.resolve(METADATA_FILE), SnapshotMetadata.class);
                found.add(new StoredSnapshot(name.get(), fileName, entry, incomplete || metadata.isEmpty(), metadata,
                        read(entry.resolve(VERIFICATION_FILE), Verification.class)));
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot list snapshots in " + root + " (" + e.getMessage() + ")", e);
        }
        found.sort(Comparator.comparing(StoredSnapshot::name));
        return found;
    }

    public List<StoredSnapshot> complete() {
        return list().stream().filter(s -> !s.incomplete()).toList();
    }

    /** A complete snapshot by name, or the newest one when {@code name} is empty. */
    public StoredSnapshot find(Optional<String> name) {
        List<StoredSnapshot> complete = complete();
        if (name.isEmpty()) {
            if (complete.isEmpty()) {
                throw new LifeboatException("no complete snapshot in " + root);
            }
            return complete.get(complete.size() - 1);
        }
        return complete.stream().filter(s -> s.name().complete().equals(name.get())).findFirst()
                .orElseThrow(() -> new LifeboatException("no complete snapshot named " + name.get() + " in " + root,
                        "run: lifeboat snapshot list", null));
    }

    /** Creates the directory of a snapshot about to be taken. */
    public StoredSnapshot begin(SnapshotName name) {
        Path directory = root.resolve(name.incomplete());
        try {
            // The root stays traversable: verification clones inside it are entered by the server's OS user.
            Files.createDirectories(root);
            PrivateFiles.createDirectory(directory);
        } catch (IOException e) {
            throw new LifeboatException("cannot create " + directory + " (" + e.getMessage() + ")", e);
        }
        return new StoredSnapshot(name, name.incomplete(), directory, true, Optional.empty(), Optional.empty());
    }

    /** Writes the metadata, then renames the directory to the complete name: the snapshot exists from then on. */
    public StoredSnapshot complete(StoredSnapshot incomplete, SnapshotMetadata metadata) {
        Path target = root.resolve(incomplete.name().complete());
        try {
            writeDurably(incomplete.directory().resolve(METADATA_FILE), JSON.writeValueAsBytes(metadata));
            Files.move(incomplete.directory(), target, StandardCopyOption.ATOMIC_MOVE);
            fsync(root);
        } catch (AtomicMoveNotSupportedException e) {
            throw new LifeboatException("cannot rename " + incomplete.directory() + " atomically", e);
        } catch (IOException e) {
            throw new LifeboatException("cannot complete snapshot " + incomplete.name() + " (" + e.getMessage() + ")", e);
        }
        return new StoredSnapshot(incomplete.name(), incomplete.name().complete(), target, false,
                Optional.of(metadata), Optional.empty());
    }

    public void record(StoredSnapshot snapshot, Verification verification) {
        try {
            writeDurably(snapshot.directory().resolve(VERIFICATION_FILE), JSON.writeValueAsBytes(verification));
        } catch (IOException e) {
            throw new LifeboatException("cannot record the verification of " + snapshot.name() + " (" + e.getMessage()
                    + ")", e);
        }
    }

    /** Removes what is left of a snapshot's directory once the provider has deleted its storage. */
    public void remove(StoredSnapshot snapshot) {
        DirectoryRemoval.remove(snapshot.directory());
    }

    private static <T> Optional<T> read(Path file, Class<T> type) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // An unreadable description makes the snapshot unusable, never silently something else.
            return Optional.empty();
        }
    }

    private static void writeDurably(Path file, byte[] bytes) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        PrivateFiles.write(temporary, bytes);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsync(file.getParent());
    }

    static void fsync(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectMapper json() {
        return JSON;
    }
}
