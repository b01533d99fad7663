package io.lifeboat.replicator.apply;

import io.lifeboat.replicator.schema.TableName;
import java.sql.SQLException;

/**
 * The standby refused a change for one table's sake: a constraint, a value that does not fit the column's type, a
 * permission, a missing object (SQLState classes 22, 23, 42, 44, 0A and 54). Only that table is affected, so only
 * that table is paused; every other table goes on.
 */
public final class TableRejectedException extends SchemaDriftException {
    private final String sqlState;

    TableRejectedException(TableName table, SQLException cause) {
        super(table, table + ": the standby refused a change: " + firstLine(cause.getMessage()),
                "fix the cause on the standby; the table then resumes by itself from a fresh copy", cause);
        this.sqlState = cause.getSQLState();
    }

    /** Whether a failure with this SQLState concerns the table the statement wrote, not the connection or server. */
    static boolean concernsTable(SQLException failure) {
        String state = failure.getSQLState();
        if (state == null || state.length() != 5) {
            return false;
        }
        String group = state.substring(0, 2);
        return switch (group) {
            case "22", "23", "42", "44", "0A", "54" -> true;
            default -> false;
        };
    }

    public String sqlState() {
        return sqlState;
    }

    private static String firstLine(String message) {
        String text = String.valueOf(message).strip();
        if (text.startsWith("ERROR: ")) {
            text = text.substring("ERROR: ".length());
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
