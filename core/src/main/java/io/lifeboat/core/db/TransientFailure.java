package io.lifeboat.core.db;

import io.lifeboat.core.error.TransientException;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientException;

/**
 * Whether a failure may pass by trying again: a server restarting, a connection cut, a backend terminated.
 * Classified by exception type and SQLState, never by message text.
 */
public final class TransientFailure {
    private TransientFailure() {
    }

    public static boolean test(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TransientException || t instanceof SQLTransientException || t instanceof IOException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now;
                // 53300: too many connections; 40001/40P01: serialization failure, deadlock.
                if (state.startsWith("08") || state.startsWith("57P0") || state.equals("53300")
                        || state.equals("40001") || state.equals("40P01")) {
                    return true;
                }
            }
            if (t.getClass().getName().equals("org.apache.kafka.connect.errors.RetriableException")) {
                return true;
            }
        }
        return false;
    }
}
