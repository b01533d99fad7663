package io.lifeboat.archiver.dump;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.PostgresPrograms;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pg_dumpall --globals-only} of one server: the roles, their settings and memberships, which a
 * {@code pg_dump} of one database lacks. Role passwords live in {@code pg_authid}, which only a superuser (or a
 * role granted SELECT on it) may read; without that the roles are taken with {@code --no-role-passwords}, which
 * reads the public {@code pg_roles} instead, and {@link #rolePasswords()} says so. Tablespaces are left out: their
 * locations are directories of the dumped host, which a restore elsewhere does not have.
 *
 * @param sql           the script, as pg_dumpall wrote it
 * @param rolePasswords whether the role passwords are in it
 * @param user          the role that took it, for messages
 */
public record GlobalsDump(byte[] sql, boolean rolePasswords, String user) {
    private static final Duration LIMIT = Duration.ofMinutes(10);

    /**
     * @param connection an open connection to {@code server}, used to ask what its user may read and which
     *                   pg_dumpall fits its version
     */
    public static GlobalsDump capture(ConnectionConfig server, Connection connection) {
        boolean passwords;
        int major;
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT'),"
                     + " current_setting('server_version_num')::int / 10000")) {
            rs.next();
            passwords = rs.getBoolean(1);
            major = rs.getInt(2);
        } catch (SQLException e) {
            throw new LifeboatException("cannot read the roles of " + server.address() + " (" + e.getMessage() + ")",
                    e);
        }
        List<String> argv = new ArrayList<>(List.of(PostgresPrograms.forMajor(major).program("pg_dumpall").toString(),
                "--globals-only", "--no-tablespaces", "--no-password", "--host=" + server.host(),
                "--port=" + server.port(), "--username=" + server.user(), "--database=" + server.database()));
        if (!passwords) {
            argv.add("--no-role-passwords");
        }
        ExternalCommand command = ExternalCommand.of(argv).timeout(LIMIT)
                .env("PGSSLMODE", server.sslmode().configValue())
                .env("PGCONNECT_TIMEOUT", Long.toString(Math.max(1, server.connectTimeout().toSeconds())))
                .env("PGAPPNAME", "lifeboat-archive");
        // The password travels in the child's environment, never in its argv.
        server.password().ifPresent(secret -> command.env("PGPASSWORD", secret.reveal()));
        String sql = command.run().stdout();
        // Its closing comment: anything shorter was cut off (the output is read into memory up to a bound).
        if (!sql.contains("-- PostgreSQL database cluster dump complete")) {
            throw new LifeboatException("pg_dumpall --globals-only of " + server.address() + " ended early ("
                    + sql.length() + " characters)");
        }
        return new GlobalsDump(sql.getBytes(StandardCharsets.UTF_8), passwords, server.user());
    }
}
