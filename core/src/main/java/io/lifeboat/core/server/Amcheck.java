package io.lifeboat.core.server;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.PostgresPrograms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code pg_amcheck --heapallindexed} of one database on a server Lifeboat reaches over the network (a standby it
 * must not write to: the {@code amcheck} extension is never installed there; without it the check is reported as
 * not run). Servers on this host go through {@link PostgresServer#amcheck}.
 */
public final class Amcheck {
    /** Indexes pg_amcheck does not check (only B-tree is), per access method, in the current database. */
    static final String UNCHECKED_INDEXES = "SELECT count(*) || ' ' || am.amname FROM pg_class c"
            + " JOIN pg_am am ON am.oid = c.relam WHERE c.relkind = 'i' AND am.amname <> 'btree'"
            + " GROUP BY am.amname ORDER BY am.amname";

    private Amcheck() {
    }

    /** Checks {@code server}'s database as its configured user; the password travels in the environment. */
    public static AmcheckReport database(PostgresPrograms programs, ConnectionConfig server, Duration limit) {
        ExternalCommand command = ExternalCommand.of(programs.program("pg_amcheck").toString(), "--heapallindexed",
                "--no-password", "-h", server.host(), "-p", Integer.toString(server.port()), "-U", server.user(),
                "-d", server.database()).timeout(limit);
        server.password().ifPresent(secret -> command.env("PGPASSWORD", secret.reveal()));
        command.env("PGSSLMODE", server.sslmode().configValue()).env("PGCONNECT_TIMEOUT",
                Long.toString(Math.max(1, server.connectTimeout().toSeconds())));
        ExternalCommand.Result result = command.runAllowingFailure();
        return new AmcheckReport(result.exitCode(), firstLines((result.stdout() + "\n" + result.stderr()).strip(), 3),
                List.of());
    }

    /** {@code ["2 gin indexes in app"]} from the rows of {@link #UNCHECKED_INDEXES}. */
    static List<String> uncheckedIndexes(String rows, String database) {
        List<String> phrases = new ArrayList<>();
        for (String row : rows.lines().filter(l -> !l.isBlank()).toList()) {
            String[] parts = row.strip().split(" ", 2);
            phrases.add(parts[0] + " " + parts[1] + (parts[0].equals("1") ? " index" : " indexes") + " in "
                    + database);
        }
        return phrases;
    }

    static String firstLines(String text, int count) {
        String[] lines = text.split("\n");
        return String.join(" | ", Arrays.copyOf(lines, Math.min(count, lines.length))).strip();
    }
}
