package io.lifeboat.snapshotter.cycle;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Removes a directory tree; {@code rm -rf} because it keeps going over files other processes remove meanwhile. */
public final class DirectoryRemoval {
    private DirectoryRemoval() {
    }

    public static void remove(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        ExternalCommand.Result result = ExternalCommand.of("rm", "-rf", "--one-file-system", directory.toString())
                .timeout(Duration.ofMinutes(30)).runAllowingFailure();
        if (result.exitCode() != 0 || Files.exists(directory)) {
            throw new LifeboatException("cannot remove " + directory + ": " + result.stderr().strip());
        }
    }
}
