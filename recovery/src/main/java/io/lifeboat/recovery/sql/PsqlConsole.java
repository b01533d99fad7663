package io.lifeboat.recovery.sql;

import io.lifeboat.core.server.PostgresServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * SQL through {@code psql} on the socket of a server Lifeboat brought up, as its OS user: the way into a copy that
 * listens on no network address yet. psql prints NULL as an empty field, so an empty field reads as null.
 */
public final class PsqlConsole implements SqlConsole {
    private static final Pattern FIELDS = Pattern.compile(Pattern.quote(PostgresServer.FIELD_SEPARATOR));

    private final PostgresServer server;
    private final String database;

    public PsqlConsole(PostgresServer server, String database) {
        this.server = server;
        this.database = database;
    }

    @Override
    public List<List<String>> rows(String sql) {
        List<List<String>> rows = new ArrayList<>();
        for (String line : server.query(database, sql).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            List<String> row = new ArrayList<>(Arrays.asList(FIELDS.split(line, -1)));
            row.replaceAll(value -> value.isEmpty() ? null : value);
            rows.add(row);
        }
        return rows;
    }
}
