package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.recovery.sql.JdbcConsole;
import io.lifeboat.recovery.sql.PsqlConsole;
import io.lifeboat.recovery.sql.SqlConsole;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Writes the report into the recovered database's own catalog, {@code lifeboat.recovery}: from a restored dump or a
 * promoted standby the catalog is there (migration V7 adds the table); a copy of the master has only Lifeboat's
 * heartbeat there, so the table is created as V7 defines it.
 */
public final class RecoveryRecord {
    static final String TABLE = """
            CREATE TABLE IF NOT EXISTS lifeboat.recovery (
                id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                started_at   timestamptz NOT NULL,
                finished_at  timestamptz NOT NULL,
                rung         text        NOT NULL,
                candidate    text        NOT NULL,
                data_loss_seconds double precision,
                data_loss_bytes   bigint,
                report       jsonb       NOT NULL
            )""";

    private RecoveryRecord() {
    }

    /** Records the report; returns where, or throws when the recovered database cannot take it. */
    public static String write(RecoveryContext context, Outcome outcome, String json) {
        Assessment taken = outcome.taken().orElseThrow();
        Recovered recovered = outcome.recovered().orElseThrow();
        String tag = "lb" + UUID.randomUUID().toString().replace("-", "");
        String insert = "INSERT INTO lifeboat.recovery (started_at, finished_at, rung, candidate, data_loss_seconds,"
                + " data_loss_bytes, report) VALUES (" + SqlConsole.literal(outcome.startedAt().toString()) + ", "
                + SqlConsole.literal(outcome.finishedAt().toString()) + ", " + SqlConsole.literal(taken.rung()) + ", "
                + SqlConsole.literal(taken.candidate()) + ", "
                + taken.loss().time().map(t -> Double.toString(t.toMillis() / 1000.0)).orElse("NULL") + ", "
                + taken.loss().bytes().map(Object::toString).orElse("NULL") + ", $" + tag + "$" + json + "$" + tag
                + "$::jsonb)";
        if (recovered.dataDirectory().isPresent()) {
            SqlConsole console = new PsqlConsole(PostgresServer.at(recovered.dataDirectory().get()),
                    recovered.database());
            record(console, insert);
        } else {
            try (Connection connection = context.standby().getConnection()) {
                record(new JdbcConsole(connection, "standby " + context.config().standby().address()), insert);
            } catch (SQLException e) {
                throw new LifeboatException("cannot record the recovery in the catalog (" + e.getMessage() + ")", e);
            }
        }
        return "lifeboat.recovery in database " + recovered.database() + " on " + recovered.host() + ":"
                + recovered.port();
    }

    private static void record(SqlConsole console, String insert) {
        console.execute("CREATE SCHEMA IF NOT EXISTS lifeboat");
        console.execute(TABLE);
        console.execute(insert);
    }
}
