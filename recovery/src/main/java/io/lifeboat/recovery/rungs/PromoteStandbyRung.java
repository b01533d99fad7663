package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.server.Amcheck;
import io.lifeboat.core.server.AmcheckReport;
import io.lifeboat.recovery.LadderStop;
import io.lifeboat.recovery.Plan;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.Recovered;
import io.lifeboat.recovery.Rung;
import io.lifeboat.recovery.Verification;
import io.lifeboat.recovery.sql.JdbcConsole;
import io.lifeboat.recovery.sql.SequenceAdvance;
import io.lifeboat.recovery.sql.SqlConsole;
import io.lifeboat.recovery.verify.ScratchServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code promote-standby}: the logical standby becomes the master. The old master is fenced first
 * ({@code recovery.fence_command}) and must no longer answer on its address (unless {@code --force}); replication
 * into the standby is stopped for good (a trigger refuses every further applied position, and Lifeboat's sessions are
 * ended); every sequence is moved past anything the master may have handed out; whatever kept the standby read-only
 * is lifted.
 */
public final class PromoteStandbyRung implements Rung {
    public static final String NAME = "promote-standby";
    private static final Logger LOG = LoggerFactory.getLogger(PromoteStandbyRung.class);
    private static final Duration AMCHECK_LIMIT = Duration.ofHours(6);
    static final String GUARD = "lifeboat_promoted";

    @Override
    public String name() {
        return NAME;
    }

    static String candidate(RecoveryContext context) {
        ConnectionConfig standby = context.config().standby();
        return "standby " + standby.address() + "/" + standby.database();
    }

    @Override
    public List<Probe> probe(RecoveryContext context) {
        String candidate = candidate(context);
        try {
            return List.<Probe>of(PromoteStandbyRung.<Probe>onStandby(context, console -> {
                Optional<Position> applied = appliedPosition(context, console);
                if (applied.isEmpty()) {
                    return Probe.unavailable(NAME, candidate, "the standby holds no applied position for slot "
                            + context.config().replication().slot() + " (it never replicated)");
                }
                String note = console.hasTable("lifeboat.applied_position") && guarded(console)
                        ? " (already promoted by lifeboat recover)" : "";
                String old = MasterAddress.answers(context.config().master())
                        ? "; the old master still answers on " + context.config().master().address()
                          + ": promoting it needs --force" : "";
                return Probe.present(NAME, candidate, "applied up to " + applied.get().lsn().map(Lsn::toString)
                        .orElse("?") + note + old, applied.get());
            }));
        } catch (LifeboatException e) {
            return List.of(Probe.unavailable(NAME, candidate, e.getMessage()));
        }
    }

    @Override
    public Verification verify(RecoveryContext context, Probe probe) {
        long begin = System.nanoTime();
        try {
            return onStandby(context, console -> {
                Position position = appliedPosition(context, console).orElse(probe.position());
                String relations = console.value("SELECT count(*) FROM pg_class").orElse("?");
                String amcheck;
                if (console.value("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").isPresent()) {
                    int major = Integer.parseInt(console.value("SHOW server_version_num").orElseThrow()) / 10000;
                    AmcheckReport report = Amcheck.database(PostgresPrograms.forMajor(major),
                            context.config().standby(), AMCHECK_LIMIT);
                    if (report.corruptionFound()) {
                        return Verification.corrupt("pg_amcheck found corruption: " + report.detail(), position,
                                RestartMasterRung.since(begin));
                    }
                    if (!report.clean()) {
                        return Verification.unavailable(report.summary(), RestartMasterRung.since(begin));
                    }
                    amcheck = report.summary() + " on " + context.config().standby().database();
                } else {
                    amcheck = "not checked by pg_amcheck: extension amcheck is not installed on the standby"
                            + " (CREATE EXTENSION amcheck there to have it checked)";
                }
                return Verification.ok("answers; " + amcheck + "; " + relations + " relations", position,
                        RestartMasterRung.since(begin));
            });
        } catch (LifeboatException e) {
            return Verification.unavailable(e.getMessage(), RestartMasterRung.since(begin));
        }
    }

    @Override
    public Plan plan(RecoveryContext context, Probe probe, Verification verification) {
        List<String> steps = new ArrayList<>();
        context.recovery().fenceCommand().ifPresent(fence -> steps.add("fence the old master: " + fence));
        steps.add("make sure the old master no longer answers on " + context.config().master().address()
                + (context.options().force() ? " (--force: promote even if it does)" : ""));
        steps.add("stop replication into the standby for good (guard trigger, end Lifeboat's sessions)");
        steps.add("move every sequence past its highest used value + " + context.recovery().sequenceGap());
        steps.add("lift anything that keeps it read-only");
        return new Plan(probe, verification, steps, Duration.ofSeconds(5));
    }

    @Override
    public Recovered execute(RecoveryContext context, Plan plan) {
        ConnectionConfig master = context.config().master();
        Optional<String> fence = context.recovery().fenceCommand();
        if (fence.isPresent()) {
            ExternalCommand.Result result = HookCommand.run(fence.get(),
                    Map.of("host", master.host(), "port", Integer.toString(master.port())));
            if (result.exitCode() != 0) {
                throw new LadderStop("fence command failed (exit " + result.exitCode() + ")"
                        + HookCommand.lastLine(result) + "; not promoting the standby",
                        "fence the old master by hand, then run: lifeboat recover --from promote-standby");
            }
            LOG.info("promote-standby: fence command ran (exit 0)");
        }
        if (MasterAddress.answers(master)) {
            if (!context.options().force()) {
                throw new LadderStop("the old master still answers on " + master.address() + "; not promoting the"
                        + " standby while it may take writes", "stop or fence it (recovery.fence_command), or give"
                        + " --force if it can no longer take writes");
            }
            LOG.warn("promote-standby: the old master still answers on {}; promoting anyway (--force)",
                    master.address());
        }
        return onStandby(context, console -> promote(context, console, plan));
    }

    private Recovered promote(RecoveryContext context, SqlConsole console, Plan plan) {
        List<String> checks = new ArrayList<>();
        long t = System.nanoTime();
        stopReplication(console);
        checks.add("replication stopped (trigger " + GUARD + " refuses every further apply)");
        LOG.info("promote-standby: replication stopped in {} ms", ms(t));
        try {
            Position reached = appliedPosition(context, console).orElse(plan.probe().position());
            Optional<Lsn> promised = plan.probe().position().lsn();
            if (promised.isPresent() && reached.lsn().isPresent() && reached.lsn().get().compareTo(promised.get()) < 0) {
                throw new LifeboatException("the standby's applied position went back from " + promised.get() + " to "
                        + reached.lsn().get());
            }
            if ("t".equals(console.value("SELECT pg_is_in_recovery()").orElse("f"))) {
                console.execute("SELECT pg_promote(true, 60)");
                checks.add("ended its physical recovery (pg_promote)");
            }
            t = System.nanoTime();
            List<SequenceAdvance.Move> moves = SequenceAdvance.run(console, context.recovery().sequenceGap());
            checks.add(moves.size() + " sequences moved past their highest used value + "
                    + context.recovery().sequenceGap());
            LOG.info("promote-standby: {} sequences moved in {} ms", moves.size(), ms(t));
            checks.addAll(ReadOnly.lift(console));
            return new Recovered(context.config().standby().host(), context.config().standby().port(),
                    context.config().standby().database(), Optional.empty(), reached, checks);
        } catch (RuntimeException e) {
            // Undo what can be undone: replication may resume into the standby, which stays a standby.
            try {
                console.execute("DROP TRIGGER IF EXISTS " + GUARD + " ON lifeboat.applied_position");
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    /** Ends Lifeboat's other sessions (an apply in flight rolls back) and guards the applied position for good. */
    private static void stopReplication(SqlConsole console) {
        console.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lifeboat'"
                + " AND pid <> pg_backend_pid() AND datname = current_database()");
        console.execute("""
                CREATE OR REPLACE FUNCTION lifeboat.refuse_after_promotion() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN
                    RAISE EXCEPTION 'this standby was promoted by lifeboat recover: nothing more is replicated into it'
                        USING ERRCODE = '55000';
                END $f$""");
        console.execute("DROP TRIGGER IF EXISTS " + GUARD + " ON lifeboat.applied_position");
        console.execute("CREATE TRIGGER " + GUARD + " BEFORE INSERT OR UPDATE OR DELETE ON lifeboat.applied_position"
                + " FOR EACH ROW EXECUTE FUNCTION lifeboat.refuse_after_promotion()");
        // The applier runs with session_replication_role = replica, where ordinary triggers do not fire.
        console.execute("ALTER TABLE lifeboat.applied_position ENABLE ALWAYS TRIGGER " + GUARD);
    }

    private static boolean guarded(SqlConsole console) {
        return console.value("SELECT 1 FROM pg_trigger WHERE tgname = '" + GUARD
                + "' AND tgrelid = 'lifeboat.applied_position'::regclass").isPresent();
    }

    /** The master position the standby has applied, with the master's clock at the last replicated heartbeat. */
    private static Optional<Position> appliedPosition(RecoveryContext context, SqlConsole console) {
        if (!console.hasTable("lifeboat.applied_position")) {
            return Optional.empty();
        }
        List<List<String>> rows = console.rows("SELECT lsn::text, (extract(epoch FROM applied_at) * 1000)::bigint"
                + " FROM lifeboat.applied_position WHERE slot_name = "
                + SqlConsole.literal(context.config().replication().slot()));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Optional<Instant> beat = ScratchServer.heartbeat(console);
        return Optional.of(new Position(Optional.of(Lsn.parse(rows.get(0).get(0))),
                beat.or(() -> Optional.of(Instant.ofEpochMilli(Long.parseLong(rows.get(0).get(1)))))));
    }

    private static <T> T onStandby(RecoveryContext context, Function<SqlConsole, T> work) {
        try (Connection connection = context.standby().getConnection()) {
            connection.setAutoCommit(true);
            // Set apart from the replicator's sessions ('lifeboat'), which promotion ends.
            try (var statement = connection.createStatement()) {
                statement.execute("SET application_name = 'lifeboat-recover'");
            }
            return work.apply(new JdbcConsole(connection, "standby " + context.config().standby().address()));
        } catch (SQLException e) {
            throw new LifeboatException("cannot use the standby " + context.config().standby().address() + " ("
                    + e.getMessage() + ")", e);
        }
    }

    private static long ms(long begin) {
        return (System.nanoTime() - begin) / 1_000_000;
    }
}
