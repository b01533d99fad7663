package io.lifeboat.replicator.fullcopy;

import java.sql.SQLException;
import org.postgresql.util.PSQLException;

/**
 * A copy (or a change) of one table that a server refused for that table's own sake: a value or constraint
 * (SQLState classes 22 and 23), a missing or forbidden object (42), a check option (44). Such a refusal pauses
 * that table; any other failure is not the table's and is handled as it is.
 */
public final class CopyRefusal {
    private CopyRefusal() {
    }

    public static boolean test(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                return state.startsWith("22") || state.startsWith("23") || state.startsWith("42")
                        || state.startsWith("44");
            }
        }
        return false;
    }

    /** The server's own message ({@code new row for relation "t" violates ...}), else the first line given. */
    public static String message(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PSQLException sql && sql.getServerErrorMessage() != null
                    && sql.getServerErrorMessage().getMessage() != null) {
                return sql.getServerErrorMessage().getMessage();
            }
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return message.lines().findFirst().orElse("").strip();
    }
}
