package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.core.server.ControlData;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/** The master's own data directory ({@code master.data_directory}) as the first two rungs see it. */
final class MasterDirectory {
    private static final Duration COPY_LIMIT = Duration.ofHours(6);

    private MasterDirectory() {
    }

    static String candidate(RecoveryContext context) {
        return context.recovery().masterDataDirectory().map(Path::toString).orElse("master.data_directory");
    }

    /**
     * Whether the directory is there and what its control file says; its position is the last checkpoint, a lower
     * bound until a copy of it is started.
     */
    static Probe probe(RecoveryContext context, String rung) {
        String candidate = candidate(context);
        Optional<Path> configured = context.recovery().masterDataDirectory();
        if (configured.isEmpty()) {
            return Probe.unavailable(rung, candidate, "master.data_directory is not set");
        }
        Path directory = configured.get();
        if (!Files.isDirectory(directory)) {
            return Probe.unavailable(rung, candidate, "no data directory at " + directory);
        }
        try (Stream<Path> entries = Files.list(directory)) {
            if (entries.findAny().isEmpty()) {
                return Probe.unavailable(rung, candidate, directory + " is empty");
            }
        } catch (IOException e) {
            return Probe.unavailable(rung, candidate, "cannot read " + directory + " (" + e.getMessage() + ")");
        }
        if (!Files.isRegularFile(directory.resolve("PG_VERSION"))) {
            return Probe.corrupt(rung, candidate, directory + " holds no PostgreSQL data directory (no PG_VERSION)",
                    Position.UNKNOWN);
        }
        ControlData control;
        try {
            PostgresServer server = PostgresServer.at(directory);
            if (server.running()) {
                return Probe.unavailable(rung, candidate, "a postmaster still runs on " + directory
                        + " but nothing answers on " + address(context) + ": stop it (pg_ctl stop -m immediate) first");
            }
            control = server.controlData();
        } catch (LifeboatException e) {
            return Probe.corrupt(rung, candidate, e.getMessage(), Position.UNKNOWN);
        }
        Position checkpoint = new Position(Optional.of(control.checkpointLsn()), control.checkpointTime());
        String state = control.needsCrashRecovery() ? "crashed (" + control.state() + "): crash recovery replays its WAL"
                : control.state();
        return Probe.present(rung, candidate, state + ", last checkpoint " + control.checkpointLsn(), checkpoint)
                .holdingEverything();
    }

    static boolean answers(RecoveryContext context) {
        return MasterAddress.answers(context.config().master());
    }

    static String address(RecoveryContext context) {
        ConnectionConfig master = context.config().master();
        return master.address();
    }

    /** Tablespaces live outside the data directory: a copy would share them with the source and write into them. */
    static Optional<String> tablespaces(Path directory) {
        Path links = directory.resolve("pg_tblspc");
        try (Stream<Path> entries = Files.isDirectory(links) ? Files.list(links) : Stream.empty()) {
            return entries.findAny().isPresent() ? Optional.of("it has tablespaces outside its data directory"
                    + " (pg_tblspc), which a copy would write into; not supported") : Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot read " + links + " (" + e.getMessage() + ")");
        }
    }

    /** A plain copy of the data directory with owners and modes, sharing extents where the filesystem can. */
    static void copy(Path from, Path to) {
        try {
            ExternalCommand.of("cp", "-a", "--reflink=auto", from.toString(), to.toString()).timeout(COPY_LIMIT).run();
            // The copy of a crashed server carries its lock file; a reused pid would make the copy refuse to start.
            Files.deleteIfExists(to.resolve("postmaster.pid"));
        } catch (ExternalCommandException e) {
            throw new LifeboatException("cannot copy " + from + " to " + to + " (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new LifeboatException("cannot prepare the copy " + to + " (" + e.getMessage() + ")", e);
        }
    }
}
