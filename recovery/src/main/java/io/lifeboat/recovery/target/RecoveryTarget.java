package io.lifeboat.recovery.target;

import io.lifeboat.core.config.RecoveryConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.PostgresServer;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code recovery.target}: where rungs that copy or restore a source bring the database up. A rung builds in a
 * staging directory beside it ({@code NAME.lifeboat-incomplete}) and renames that into place only once the copy is
 * up and checked, so nothing at the target ever looks complete before it is; a failed attempt is moved aside
 * ({@code NAME.failed-TIME}), never reused silently. The target must be empty or absent; {@code --force} moves what
 * is there aside ({@code NAME.moved-aside-TIME}).
 */
public final class RecoveryTarget {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryTarget.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path directory;
    private final int port;
    private final Clock clock;

    public RecoveryTarget(RecoveryConfig.Target target, Clock clock) {
        this.directory = target.dataDirectory();
        this.port = target.port();
        this.clock = clock;
    }

    public Path directory() {
        return directory;
    }

    public int port() {
        return port;
    }

    public Path staging() {
        return directory.resolveSibling(directory.getFileName() + ".lifeboat-incomplete");
    }

    /** Why the target cannot be used as it is, or empty when it is absent or empty. */
    public Optional<String> occupied() {
        if (!Files.exists(directory)) {
            return Optional.empty();
        }
        if (!Files.isDirectory(directory)) {
            return Optional.of("recovery.target.data_directory " + directory + " exists and is not a directory");
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isPresent()
                    ? Optional.of("recovery.target.data_directory " + directory + " is not empty") : Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot read recovery.target.data_directory " + directory + " (" + e.getMessage() + ")");
        }
    }

    /**
     * Makes way for a new staging directory: an occupied target is refused (or moved aside with {@code force}), an
     * empty one removed so the finished copy can be renamed there, a stale staging directory moved aside.
     */
    public void clear(boolean force) {
        Optional<String> occupied = occupied();
        if (occupied.isPresent()) {
            runningServer(directory).ifPresent(server -> {
                throw new LifeboatException("a PostgreSQL server runs on " + server.dataDirectory() + " inside"
                        + " recovery.target.data_directory " + directory, "stop it first (pg_ctl -D "
                        + server.dataDirectory() + " stop), or give another target", null);
            });
            if (!force || !Files.isDirectory(directory)) {
                throw new LifeboatException(occupied.get(), "give an empty or new directory, or --force to move it aside",
                        null);
            }
            Path aside = moveAside(directory, "moved-aside");
            LOG.warn("recovery target {} was not empty: moved aside to {}", directory, aside);
        } else if (Files.isDirectory(directory)) {
            try {
                Files.delete(directory);
            } catch (IOException e) {
                throw new LifeboatException("cannot remove the empty target " + directory + " (" + e.getMessage() + ")",
                        e);
            }
        }
        if (Files.exists(staging())) {
            // An interrupted recovery (killed while its copy was up) leaves that server running: it is Lifeboat's
            // own half-built copy, so it is stopped before the directory is moved aside.
            runningServer(staging()).ifPresent(RecoveryTarget::stopLeftover);
            Path aside = moveAside(staging(), "failed");
            LOG.warn("a staging directory of an earlier recovery was moved aside to {}", aside);
        }
        try {
            Files.createDirectories(directory.getParent());
        } catch (IOException e) {
            throw new LifeboatException("cannot create " + directory.getParent() + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Stops what an interrupted recovery left running on its staging directory. A negative pid in
     * {@code postmaster.pid} is initdb's single-user bootstrap, which pg_ctl cannot stop: initdb is killed first (so
     * its clean-up can never remove a later staging directory of the same name), then the backend.
     */
    private static void stopLeftover(PostgresServer server) {
        LOG.warn("stopping the server an interrupted recovery left running on {}", server.dataDirectory());
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(server.dataDirectory().resolve("postmaster.pid")).get(0).strip());
        } catch (IOException | RuntimeException e) {
            pid = 0;
        }
        if (pid >= 0) {
            server.stopImmediately();
            return;
        }
        Optional<ProcessHandle> backend = ProcessHandle.of(-pid);
        backend.flatMap(ProcessHandle::parent)
                .filter(parent -> parent.info().command().map(c -> c.endsWith("/initdb")).orElse(false))
                .ifPresent(RecoveryTarget::killAndWait);
        backend.ifPresent(RecoveryTarget::killAndWait);
    }

    private static void killAndWait(ProcessHandle process) {
        process.destroyForcibly();
        try {
            process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while stopping process " + process.pid(), e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new LifeboatException("process " + process.pid() + " did not stop within 30 s", e);
        }
    }

    /** A server running on a data directory inside {@code root} (up to two levels down). */
    private static Optional<PostgresServer> runningServer(Path root) {
        try (Stream<Path> found = Files.walk(root, 3)) {
            for (Path version : found.filter(p -> p.getFileName().toString().equals("PG_VERSION")).toList()) {
                PostgresServer server = PostgresServer.at(version.getParent());
                if (Files.exists(server.dataDirectory().resolve("postmaster.pid")) && server.running()) {
                    return Optional.of(server);
                }
            }
        } catch (IOException | LifeboatException e) {
            LOG.debug("cannot look for a server in {}", root, e);
        }
        return Optional.empty();
    }

    /** Renames the finished staging directory to the target: from now on it is the recovered database. */
    public void complete() {
        try {
            Files.move(staging(), directory, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new LifeboatException("cannot rename " + staging() + " to " + directory + " atomically", e);
        } catch (IOException e) {
            throw new LifeboatException("cannot rename " + staging() + " to " + directory + " (" + e.getMessage() + ")",
                    e);
        }
    }

    /** Moves a half-built staging directory aside; returns where it went. */
    public Optional<Path> abandon() {
        if (!Files.exists(staging())) {
            return Optional.empty();
        }
        return Optional.of(moveAside(staging(), "failed"));
    }

    private Path moveAside(Path path, String why) {
        Path aside = directory.resolveSibling(directory.getFileName() + "." + why + "-" + STAMP.format(clock.instant()));
        for (int n = 2; Files.exists(aside); n++) {
            aside = directory.resolveSibling(directory.getFileName() + "." + why + "-" + STAMP.format(clock.instant())
                    + "-" + n);
        }
        try {
            Files.move(path, aside, StandardCopyOption.ATOMIC_MOVE);
            return aside;
        } catch (IOException e) {
            throw new LifeboatException("cannot move " + path + " aside to " + aside + " (" + e.getMessage() + ")", e);
        }
    }
}
