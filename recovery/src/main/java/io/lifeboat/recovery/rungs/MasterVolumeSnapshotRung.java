package io.lifeboat.recovery.rungs;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.ControlData;
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
import io.lifeboat.recovery.target.RecoveryTarget;
import io.lifeboat.recovery.verify.HealthCheck;
import io.lifeboat.recovery.verify.ScratchServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code master-volume-snapshot}: the master will not start in place (binaries, configuration, a dead host whose
 * disk is still readable), but its data is intact. Its volume is snapshotted as it is, the copy brought up at the
 * recovery target with Lifeboat's own minimal configuration, and crash recovery replays the master's own WAL, so
 * nothing committed is lost. The master's directory is only read.
 */
public final class MasterVolumeSnapshotRung implements Rung {
    public static final String NAME = "master-volume-snapshot";
    private static final Duration START_LIMIT = Duration.ofMinutes(30);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        String candidate = MasterDirectory.candidate(context);
        if (MasterDirectory.answers(context)) {
            return List.of(Probe.unavailable(NAME, candidate, "the master runs and answers on "
                    + MasterDirectory.address(context) + ": a copy would be a second master"));
        }
        Probe probe = MasterDirectory.probe(context, NAME);
        if (!probe.present()) {
            return List.of(probe);
        }
        Optional<String> unusable = Targets.unusable(context);
        return List.of(unusable.isPresent() ? Probe.unavailable(NAME, candidate, unusable.get()) : probe);
    }

    @Override
    public Verification verify(RecoveryContext context, Probe probe) {
        long begin = System.nanoTime();
        Path directory = context.recovery().masterDataDirectory().orElseThrow();
        Optional<String> tablespaces = MasterDirectory.tablespaces(directory);
        if (tablespaces.isPresent()) {
            return Verification.unavailable(tablespaces.get(), RestartMasterRung.since(begin));
        }
        Path clone = context.scratch("master-volume");
        try {
            MasterDirectory.copy(directory, clone);
            PostgresServer copy = configured(clone, RecoveryContext.sparePort());
            try (ScratchServer server = ScratchServer.start(context, copy, RecoveryContext.sparePort(), Map.of())) {
                Position position = server.position(context.config().master().database());
                String health = HealthCheck.run(server, context.config().master().database());
                return Verification.ok("a copy starts with Lifeboat's configuration (crash recovery to "
                        + position.lsn().map(Lsn::toString).orElse("?") + "); " + health, position,
                        RestartMasterRung.since(begin));
            }
        } catch (ServerStartException e) {
            return Verification.corrupt("a copy does not start: " + e.reason(), Position.UNKNOWN,
                    RestartMasterRung.since(begin));
        } catch (CandidateCorruptException e) {
            return Verification.corrupt(e.getMessage(), Position.UNKNOWN, RestartMasterRung.since(begin));
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        } finally {
            RestartMasterRung.removeQuietly(clone);
        }
    }

    /** The copy's own configuration swapped for Lifeboat's, built from the copy's control data. */
    private static PostgresServer configured(Path dataDirectory, int port) {
        PostgresServer server = PostgresServer.at(dataDirectory);
        ControlData control = server.controlData();
        CopyConfiguration.replace(dataDirectory, control, port, server.osUser());
        return server;
    }

    @Override
    public Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        RecoveryTarget target = Targets.of(context);
        String how = context.config().snapshots().map(s -> s.provider().configName() + " snapshot of "
                + s.volume()).orElse("copy of " + probe.candidate());
        return new Plan(probe, verification, List.of(
                "make a " + how + " at " + target.staging(),
                "replace its configuration with Lifeboat's (port " + target.port() + "; the master's kept as *.master)",
                "start it privately; crash recovery replays the master's WAL to "
                        + verification.position().lsn().map(Lsn::toString).orElse("its end"),
                "rename it to " + target.directory() + " and start it there"), verification.took());
    }

    @Override
    public Recovered execute(RecoveryContext context, Plan plan) {
        RecoveryTarget target = Targets.of(context);
        Path masterData = context.recovery().masterDataDirectory().orElseThrow();
        String database = context.config().master().database();
        target.clear(context.options().force());
        try {
            Path staged = VolumeCopy.copy(context.config().snapshots(), masterData, target.staging(), context.clock());
            Path relative = target.staging().relativize(staged);
            PostgresServer copy = configured(staged, target.port());
            Position reached;
            try (ScratchServer server = ScratchServer.start(context, copy, target.port(), Map.of())) {
                reached = server.position(database);
            }
            Optional<Lsn> promised = plan.verification().position().lsn();
            if (promised.isPresent() && reached.lsn().isPresent() && reached.lsn().get().compareTo(promised.get()) < 0) {
                throw new LifeboatException("the copy's recovery ended at " + reached.lsn().get() + ", short of "
                        + promised.get() + " that the verification copy reached");
            }
            target.complete();
            Path dataDirectory = target.directory().resolve(relative.toString());
            Targets.startFinal(context, dataDirectory);
            return new Recovered(context.localHost(), target.port(), database, Optional.of(dataDirectory), reached,
                    List.of("crash recovery replayed the master's WAL to " + reached.lsn().map(Lsn::toString).orElse("?"),
                            "pg_amcheck ran on a copy of the same volume just before",
                            "configuration: Lifeboat's; the master's is in postgresql.conf.master"));
        } catch (RuntimeException e) {
            Targets.abandon(context, target, e);
            throw e;
        }
    }
}
