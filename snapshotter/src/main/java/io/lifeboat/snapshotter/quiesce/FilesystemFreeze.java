package io.lifeboat.snapshotter.quiesce;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fsfreeze} of the mounted filesystem that holds the data directory. Before freezing, a thaw process is
 * started in its own session: it sleeps until the deadline and thaws, so a frozen master is thawed even when this
 * JVM is killed with SIGKILL (or its process group with SIGINT). A normal thaw kills that process.
 */
public final class FilesystemFreeze implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FilesystemFreeze.class);
    private static final String THAW_SCRIPT = "sleep \"$1\"; fsfreeze -u \"$2\"";

    private final Path mount;
    private final Process thawGuard;
    private final AtomicBoolean thawed = new AtomicBoolean();

    private FilesystemFreeze(Path mount, Process thawGuard) {
        this.mount = mount;
        this.thawGuard = thawGuard;
    }

    /** Freezes {@code mount}; it is thawed at the latest {@code bound} from now, by this process or the guard. */
    public static FilesystemFreeze freeze(Path mount, Duration bound) {
        long seconds = Math.max(1, bound.toSeconds());
        Process guard;
        try {
            guard = new ProcessBuilder(List.of("setsid", "sh", "-c", THAW_SCRIPT, "lifeboat-thaw-guard",
                    Long.toString(seconds), mount.toString()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new LifeboatException("cannot start the thaw guard (" + e.getMessage() + "); not freezing " + mount, e);
        }
        FilesystemFreeze freeze = new FilesystemFreeze(mount, guard);
        ExternalCommand.Result result = ExternalCommand.of("fsfreeze", "-f", mount.toString())
                .timeout(Duration.ofSeconds(seconds)).runAllowingFailure();
        if (result.exitCode() != 0) {
            freeze.close();
            throw new LifeboatException("cannot freeze " + mount + ": " + result.stderr().strip());
        }
        return freeze;
    }

    /** Thaws now; safe to call from the watchdog and the owner both. */
    public void thaw() {
        if (!thawed.compareAndSet(false, true)) {
            return;
        }
        ExternalCommand.Result result = ExternalCommand.of("fsfreeze", "-u", mount.toString())
                .timeout(Duration.ofSeconds(30)).runAllowingFailure();
        if (result.exitCode() != 0) {
            LOG.warn("thaw of {} failed: {}", mount, result.stderr().strip());
        }
        stopGuard();
    }

    private void stopGuard() {
        // The shell dies first, so it cannot go on to run its thaw after its sleep is killed.
        List<ProcessHandle> children = thawGuard.descendants().toList();
        thawGuard.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public void close() {
        thaw();
    }
}
