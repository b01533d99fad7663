package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import java.time.Duration;
import java.util.List;

/** Runs a storage tool, turning its failure into one line that shows the command. */
final class ToolRun {
    static final Duration DEFAULT_LIMIT = Duration.ofMinutes(5);

    private ToolRun() {
    }

    static String run(Duration limit, List<String> argv) {
        try {
            return ExternalCommand.of(argv).timeout(limit).run().stdout();
        } catch (ExternalCommandException e) {
            throw new LifeboatException(String.join(" ", argv) + ": " + e.getMessage(), e);
        }
    }

    static String run(String... argv) {
        return run(DEFAULT_LIMIT, List.of(argv));
    }
}
