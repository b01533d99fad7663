package io.lifeboat.core.db;

import io.lifeboat.core.stream.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/**
 * A hash of a database's table and column definitions, recorded in every backup's manifest, so that a restore (or
 * the recovery ladder) can tell whether a backup matches the schema of a live database: the same tables on master
 * and standby give the same fingerprint, whatever their creation order or dropped columns.
 *
 * <p>What counts: every table (plain, partitioned, foreign) outside PostgreSQL's own schemas and Lifeboat's
 * catalog schema {@code lifeboat} (which differs between master and standby), and for each of its columns, in
 * order: name, type with modifiers, NOT NULL, identity, generated, default expression. Names of types and
 * functions are printed schema-qualified (search_path pinned to {@code pg_catalog}), so a role's search_path does
 * not change the result. Indexes, constraints other than NOT NULL, privileges and comments do not count.
 *
 * @param value  {@code sha256:} and 64 lower-case hex digits
 * @param tables how many tables were hashed
 */
public record SchemaFingerprint(String value, int tables) {
    private static final String QUERY = """
            SELECT n.nspname, c.relname, c.relkind::text, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, a.attidentity::text, a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid)
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
             WHERE c.relkind IN ('r', 'p', 'f')
               AND n.nspname NOT IN ('information_schema', 'lifeboat') AND n.nspname NOT LIKE 'pg\\_%'
             ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", a.attnum""";

    /**
     * Reads the definitions on {@code connection}, in its current transaction and snapshot when it has one (so a
     * dump and its fingerprint see the same schema). The session's search_path is restored afterwards.
     */
    public static SchemaFingerprint of(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        if (autoCommit) {
            connection.setAutoCommit(false);
        }
        try {
            String searchPath = setting(connection, "pg_catalog");
            MessageDigest digest = Sha256.digest();
            Set<String> tables = new HashSet<>();
            try (PreparedStatement statement = connection.prepareStatement(QUERY);
                 ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    String table = rs.getString(1) + "." + rs.getString(2);
                    tables.add(table);
                    StringBuilder line = new StringBuilder(table).append('\t').append(rs.getString(3));
                    for (int column = 4; column <= 9; column++) {
                        line.append('\t').append(rs.getString(column) == null ? "" : rs.getString(column));
                    }
                    digest.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            setting(connection, searchPath);
            return new SchemaFingerprint("sha256:" + Sha256.hex(digest), tables.size());
        } finally {
            if (autoCommit) {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        }
    }

    /** Sets search_path for the rest of the transaction and returns the value it had. */
    private static String setting(Connection connection, String searchPath) throws SQLException {
        String previous;
        try (PreparedStatement read = connection.prepareStatement("SELECT current_setting('search_path')");
             ResultSet rs = read.executeQuery()) {
            rs.next();
            previous = rs.getString(1);
        }
        try (PreparedStatement set = connection.prepareStatement("SELECT set_config('search_path', ?, true)")) {
            set.setString(1, searchPath);
            set.execute();
        }
        return previous;
    }

    @Override
    public String toString() {
        return value;
    }
}
