package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.core.server.ServerStartException;
import io.lifeboat.recovery.CandidateCorruptException;
import io.lifeboat.recovery.Plan;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Rung;
import io.lifeboat.recovery.Verification;
import io.lifeboat.recovery.sql.JdbcConsole;
import io.lifeboat.recovery.verify.HealthCheck;
import io.lifeboat.recovery.verify.ScratchServer;
import io.lifeboat.snapshotter.cycle.DirectoryRemoval;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code restart-master}: start PostgreSQL again on the master's own data directory, with its own configuration.
 * Verified on a copy started exactly as configured (but listening nowhere), so a master whose binaries,
 * configuration or data no longer start is found out before anything touches it.
 */
public final class RestartMasterRung implements Rung {
    public static final String NAME = "restart-master";
    private static final Duration START_LIMIT = Duration.ofMinutes(30);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        if (MasterDirectory.answers(context)) {
            return List.of(Probe.present(NAME, MasterDirectory.candidate(context), "the master is running and answers on "
                    + MasterDirectory.address(context) + ": nothing to restart", Position.UNKNOWN).holdingEverything());
        }
        return List.of(MasterDirectory.probe(context, NAME));
    }

    @Override
    public Verification verify(RecoveryContext context, Probe probe) {
        long begin = System.nanoTime();
        if (MasterDirectory.answers(context)) {
            try {
                Position position = live(context);
                return Verification.ok("running; answers on " + MasterDirectory.address(context), position,
                        since(begin));
            } catch (LifeboatException e) {
                return Verification.unavailable(e.getMessage(), since(begin));
            }
        }
        Path directory = context.recovery().masterDataDirectory().orElseThrow();
        Optional<String> tablespaces = MasterDirectory.tablespaces(directory);
        if (tablespaces.isPresent()) {
            return Verification.unavailable(tablespaces.get(), since(begin));
        }
        Path clone = context.scratch("restart-master");
        try {
            MasterDirectory.copy(directory, clone);
            PostgresServer copy = PostgresServer.at(clone);
            long start = System.nanoTime();
            // Exactly as configured, only out of reach: whatever keeps the master from starting shows here.
            try (ScratchServer server = ScratchServer.start(context, copy, RecoveryContext.sparePort(), Map.of())) {
                long startMillis = (System.nanoTime() - start) / 1_000_000;
                Position position = server.position(context.config().master().database());
                String health = HealthCheck.run(server, context.config().master().database());
                return Verification.ok("a copy starts with its own configuration (crash recovery to "
                        + position.lsn().map(Lsn::toString).orElse("?") + " in " + startMillis + " ms); " + health,
                        position, since(begin));
            }
        } catch (ServerStartException e) {
            return Verification.corrupt("does not start in place: " + e.reason(), Position.UNKNOWN, since(begin));
        } catch (CandidateCorruptException e) {
            return Verification.corrupt(e.getMessage(), Position.UNKNOWN, since(begin));
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), since(begin));
        } finally {
            removeQuietly(clone);
        }
    }

    @Override
    public Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        if (MasterDirectory.answers(context)) {
            return new Plan(probe, verification, List.of("nothing: the master already runs"), Duration.ZERO);
        }
        return new Plan(probe, verification, List.of(
                "start PostgreSQL on " + probe.candidate() + " with its own configuration ("
                        + context.recovery().masterStartCommand().orElse("pg_ctl start") + ")",
                "wait until it answers on " + MasterDirectory.address(context),
                "check it reached " + verification.position().lsn().map(Lsn::toString).orElse("its WAL's end")),
                verification.took());
    }

    @Override
    public Recovered execute(RecoveryContext context, Plan plan) {
        ConnectionConfig master = context.config().master();
        Optional<Path> directory = context.recovery().masterDataDirectory();
        if (MasterDirectory.answers(context)) {
            Position position = live(context);
            return new Recovered(master.host(), master.port(), master.database(), directory, position,
                    List.of("the master was already running"));
        }
        PostgresServer server = PostgresServer.at(directory.orElseThrow());
        Optional<String> startCommand = context.recovery().masterStartCommand();
        if (startCommand.isPresent()) {
            // The operator's way (systemd, a cluster manager) keeps owning the server it starts.
            ExternalCommand.Result started = HookCommand.run(startCommand.get(),
                    Map.of("data_directory", directory.get().toString()));
            if (started.exitCode() != 0) {
                throw new LifeboatException("recovery.master_start_command failed (exit " + started.exitCode() + ")"
                        + HookCommand.lastLine(started));
            }
        } else {
            try {
                server.start(Map.of(), START_LIMIT);
            } catch (ServerStartException e) {
                throw new LifeboatException("the master does not start in place: " + e.reason());
            }
        }
        try {
            Position reached = awaitAnswering(context);
            Optional<Lsn> promised = plan.verification().position().lsn();
            if (promised.isPresent() && reached.lsn().isPresent() && reached.lsn().get().compareTo(promised.get()) < 0) {
                throw new LifeboatException("the master reached only " + reached.lsn().get() + ", short of "
                        + promised.get() + " that its copy reached");
            }
            return new Recovered(master.host(), master.port(), master.database(), directory, reached,
                    List.of("started in place with its own configuration", "reached " + reached.lsn().map(Lsn::toString)
                            .orElse("?") + " (its copy reached " + promised.map(Lsn::toString).orElse("?") + ")",
                            "pg_amcheck ran on a copy of the same directory just before the start"));
        } catch (RuntimeException e) {
            // Undo: leave the master stopped, as it was found.
            try {
                server.stop(Duration.ofMinutes(2));
            } catch (RuntimeException stop) {
                e.addSuppressed(stop);
            }
            throw e;
        }
    }

    /** The running master's position through its configured address: proof that applications can reach it. */
    private static Position live(RecoveryContext context) {
        try (HikariDataSource pool = Pools.open(ServerRole.MASTER, context.config().master());
             Connection connection = pool.getConnection()) {
            JdbcConsole console = new JdbcConsole(connection, "master " + context.config().master().address());
            Optional<Lsn> lsn = console.value("SELECT pg_current_wal_lsn()::text").map(Lsn::parse);
            return new Position(lsn, ScratchServer.heartbeat(console).or(() -> Optional.of(context.clock().instant())));
        } catch (SQLException e) {
            throw new LifeboatException("cannot query the master " + context.config().master().address() + " ("
                    + e.getMessage() + ")", e);
        }
    }

    private static Position awaitAnswering(RecoveryContext context) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try {
                return live(context);
            } catch (LifeboatException e) {
                if (System.nanoTime() > deadline) {
                    throw new LifeboatException("the master started but does not answer on "
                            + context.config().master().address() + " (" + e.getMessage() + ")", e);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static void removeQuietly(Path directory) {
        try {
            DirectoryRemoval.remove(directory);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(RestartMasterRung.class).warn("cannot remove {} ({})", directory,
                    e.getMessage());
        }
    }

    static Duration since(long begin) {
        return Duration.ofNanos(System.nanoTime() - begin);
    }
}
