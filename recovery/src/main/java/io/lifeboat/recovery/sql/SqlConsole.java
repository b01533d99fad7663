package io.lifeboat.recovery.sql;

import java.util.List;
import java.util.Optional;

/**
 * Runs SQL on the database being recovered, however it is reached: through JDBC for a server Lifeboat connects to
 * over the network (the standby), through {@code psql} on a private socket for a server it brought up itself. Every
 * value comes back as text, NULL as null.
 */
public interface SqlConsole {
    /** Every row of {@code sql}. */
    List<List<String>> rows(String sql);

    /** Runs a statement that returns nothing worth reading. */
    default void execute(String sql) {
        rows(sql);
    }

    /** The first column of the first row, empty when there is no row or it is NULL. */
    default Optional<String> value(String sql) {
        List<List<String>> rows = rows(sql);
        return rows.isEmpty() || rows.get(0).isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0).get(0));
    }

    /** Whether a table exists, e.g. {@code lifeboat.applied_position}. */
    default boolean hasTable(String qualifiedName) {
        return value("SELECT to_regclass(" + literal(qualifiedName) + ") IS NOT NULL").map("t"::equals).orElse(false);
    }

    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
