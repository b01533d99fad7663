package io.lifeboat.replicator.setup;

import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** What the master must offer before a slot can be made: checked first, each failure one line with the fix. */
public final class MasterPrerequisites {
    private MasterPrerequisites() {
    }

    public static void check(Connection master, String slot) throws SQLException {
        try (Statement statement = master.createStatement(); ResultSet row = statement.executeQuery("""
                select current_setting('wal_level'),
                       (select rolreplication or rolsuper from pg_roles where rolname = current_user),
                       current_user,
                       current_setting('max_replication_slots')::int,
                       (select count(*) from pg_replication_slots),
                       exists (select 1 from pg_replication_slots where slot_name = '%s'),
                       pg_is_in_recovery()
                """.formatted(slot.replace("'", "''")))) {
            row.next();
            String walLevel = row.getString(1);
            if (!walLevel.equals("logical")) {
                throw new LifeboatException("wal_level is '" + walLevel + "' on master: set wal_level = logical and"
                        + " restart PostgreSQL");
            }
            if (!row.getBoolean(2)) {
                throw new LifeboatException("user " + row.getString(3) + " has no REPLICATION privilege on master",
                        "run on the master: ALTER ROLE " + row.getString(3) + " REPLICATION", null);
            }
            if (row.getBoolean(7)) {
                throw new LifeboatException("the master is in recovery (a standby itself): logical replication needs"
                        + " a primary", "check master.host", null);
            }
            boolean slotExists = row.getBoolean(6);
            if (!slotExists && row.getInt(5) >= row.getInt(4)) {
                throw new LifeboatException("no free replication slot on master (max_replication_slots = "
                        + row.getInt(4) + ", all in use)",
                        "raise max_replication_slots and restart PostgreSQL, or drop an unused slot", null);
            }
        }
    }
}
