package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Operator-supplied commands for storage Lifeboat cannot drive itself (cloud volume snapshots and the like). The
 * storage object gets the complete name from the start, because such snapshots usually cannot be renamed; the
 * metadata directory's {@code _incomplete} suffix still marks it until it is complete.
 */
public final class CommandProvider implements SnapshotProvider {
    private final SnapshotsConfig config;

    public CommandProvider(SnapshotsConfig config) {
        this.config = config;
    }

    @Override
    public SnapshotsConfig.Kind kind() {
        return SnapshotsConfig.Kind.COMMAND;
    }

    @Override
    public boolean needsFreeze() {
        return config.freeze();
    }

    @Override
    public void preflight() {
        if (config.commands().create().isEmpty()) {
            throw new LifeboatException("snapshots.commands.create is not set");
        }
    }

    @Override
    public void create(StoredSnapshot snapshot, Duration limit) {
        ToolRun.run(limit, template(config.commands().create(), "create").argv(values(snapshot, Optional.empty())));
    }

    @Override
    public void rename(StoredSnapshot incomplete, StoredSnapshot complete) {
        // Named completely from the start (see the class comment).
    }

    @Override
    public void delete(StoredSnapshot snapshot) {
        if (config.commands().delete().isPresent()) {
            ToolRun.run(ToolRun.DEFAULT_LIMIT,
                    template(config.commands().delete(), "delete").argv(values(snapshot, Optional.empty())));
        }
    }

    @Override
    public Path materialize(StoredSnapshot snapshot, Path at) {
        if (Files.exists(at)) {
            throw new LifeboatException(at + " already exists; choose an empty place for the copy");
        }
        ToolRun.run(java.time.Duration.ofHours(6),
                template(config.commands().cloneTo(), "clone").argv(values(snapshot, Optional.of(at))));
        if (!Files.isDirectory(at)) {
            throw new LifeboatException("snapshots.commands.clone did not create " + at);
        }
        return at;
    }

    @Override
    public void release(Path materialized) {
        DirectoryRemoval.remove(materialized);
    }

    private Map<String, String> values(StoredSnapshot snapshot, Optional<Path> target) {
        return target.map(t -> Map.of("name", snapshot.name().complete(), "volume", config.volume(), "target",
                t.toString())).orElseGet(() -> Map.of("name", snapshot.name().complete(), "volume", config.volume()));
    }

    private static CommandTemplate template(Optional<String> text, String which) {
        return new CommandTemplate(text.orElseThrow(() -> new LifeboatException(
                "snapshots.commands." + which + " is not set, so the command provider cannot " + which + " snapshots")));
    }
}
