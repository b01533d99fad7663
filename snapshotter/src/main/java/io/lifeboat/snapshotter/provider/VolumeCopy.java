package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A plain copy of a directory tree with owners, modes and times, sharing extents where the filesystem can. */
final class VolumeCopy {
    private static final Duration LIMIT = Duration.ofHours(6);

    private VolumeCopy() {
    }

    static Path copy(Path from, Path to) {
        if (Files.exists(to)) {
            throw new LifeboatException(to + " already exists; choose an empty place for the copy");
        }
        try {
            ExternalCommand.of("cp", "-a", "--reflink=auto", from.toString(), to.toString()).timeout(LIMIT).run();
        } catch (ExternalCommandException e) {
            throw new LifeboatException("cannot copy " + from + " to " + to + " (" + e.getMessage() + ")", e);
        }
        return to;
    }
}
