package io.lifeboat.recovery.rungs;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.target.RecoveryTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The recovery target as the rungs that build there use it. */
final class Targets {
    private static final Logger LOG = LoggerFactory.getLogger(Targets.class);
    private static final Duration START_LIMIT = Duration.ofMinutes(30);

    private Targets() {
    }

    static RecoveryTarget of(RecoveryContext context) {
        return new RecoveryTarget(context.recovery().target().orElseThrow(() -> new LifeboatException(
                "recovery.target is not set: there is nowhere to bring the database up")), context.clock());
    }

    /** Why a rung that builds at the target cannot run, as a probe reports it. */
    static Optional<String> unusable(RecoveryContext context) {
        if (context.recovery().target().isEmpty()) {
            return Optional.of("recovery.target is not set (where a copy or restore is brought up)");
        }
        Optional<String> occupied = of(context).occupied();
        if (occupied.isPresent() && !context.options().force()) {
            return Optional.of(occupied.get() + " (--force moves it aside)");
        }
        return Optional.empty();
    }

    /** Starts the finished copy where it now lives, with the configuration it carries, and waits until it answers. */
    static PostgresServer startFinal(RecoveryContext context, Path dataDirectory) {
        PostgresServer server = PostgresServer.at(dataDirectory);
        server.start(Map.of(), START_LIMIT);
        server.awaitAccepting(START_LIMIT);
        return server;
    }

    /**
     * Undoes a failed build: stops what runs on the staging directory or the target and moves the half-built
     * directory aside, so it is never mistaken for a recovered database.
     */
    static void abandon(RecoveryContext context, RecoveryTarget target, RuntimeException failure) {
        context.stopScratchServers();
        for (Path directory : new Path[] {target.staging(), target.directory()}) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (Stream<Path> found = Files.walk(directory, 3)) {
                for (Path version : found.filter(p -> p.getFileName().toString().equals("PG_VERSION")).toList()) {
                    PostgresServer server = PostgresServer.at(version.getParent());
                    if (server.running()) {
                        server.stopImmediately();
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        try {
            Optional<Path> aside = target.abandon();
            if (aside.isEmpty() && Files.exists(target.directory())) {
                // It was renamed into place and then failed: the target was cleared for this attempt, so it is ours.
                Path failed = target.directory().resolveSibling(target.directory().getFileName() + ".failed-"
                        + context.clock().millis());
                Files.move(target.directory(), failed);
                aside = Optional.of(failed);
            }
            aside.ifPresent(path -> LOG.warn("the half-built recovery was moved aside to {}", path));
        } catch (java.io.IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
