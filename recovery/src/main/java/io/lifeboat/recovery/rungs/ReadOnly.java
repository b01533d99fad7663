package io.lifeboat.recovery.rungs;

import io.lifeboat.recovery.sql.SqlConsole;
import java.util.ArrayList;
import java.util.List;

/** Lifts what keeps a promoted standby read-only: {@code default_transaction_read_only} wherever it is set. */
final class ReadOnly {
    private static final String SETTING = "default_transaction_read_only";

    private ReadOnly() {
    }

    /** @return what was lifted, one phrase each */
    static List<String> lift(SqlConsole console) {
        List<String> lifted = new ArrayList<>();
        for (List<String> row : console.rows("SELECT coalesce(quote_ident(r.rolname), ''),"
                + " coalesce(quote_ident(d.datname), '') FROM pg_db_role_setting s"
                + " LEFT JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase"
                + " WHERE EXISTS (SELECT 1 FROM unnest(s.setconfig) c WHERE c ~* '^" + SETTING
                + "=(on|true|yes|1)$')")) {
            String role = row.get(0) == null ? "" : row.get(0);
            String database = row.get(1) == null ? "" : row.get(1);
            if (role.isEmpty()) {
                console.execute("ALTER DATABASE " + database + " RESET " + SETTING);
                lifted.add(SETTING + " reset on database " + database);
            } else if (database.isEmpty()) {
                console.execute("ALTER ROLE " + role + " RESET " + SETTING);
                lifted.add(SETTING + " reset on role " + role);
            } else {
                console.execute("ALTER ROLE " + role + " IN DATABASE " + database + " RESET " + SETTING);
                lifted.add(SETTING + " reset on role " + role + " in database " + database);
            }
        }
        List<List<String>> server = console.rows("SELECT source FROM pg_settings WHERE name = '" + SETTING
                + "' AND setting = 'on' AND source IN ('configuration file', 'command line')");
        if (!server.isEmpty()) {
            console.execute("ALTER SYSTEM SET " + SETTING + " = off");
            console.execute("SELECT pg_reload_conf()");
            lifted.add(SETTING + " turned off in postgresql.auto.conf (was on in the " + server.get(0).get(0) + ")");
        }
        if (lifted.isEmpty()) {
            lifted.add("nothing kept it read-only");
        }
        return lifted;
    }
}
