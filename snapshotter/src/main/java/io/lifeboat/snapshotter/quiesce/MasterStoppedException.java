package io.lifeboat.snapshotter.quiesce;

import io.lifeboat.core.error.LifeboatException;
import java.sql.SQLException;

/**
 * The master's backup session ended because the server went away (shut down, crashed, or cut the connection) while
 * the snapshot was being taken: the snapshot cannot be completed and is abandoned.
 */
public final class MasterStoppedException extends LifeboatException {
    MasterStoppedException(SQLException cause) {
        super("the master stopped during the snapshot (its connection closed while in backup mode)",
                "start the master and take the snapshot again; nothing of this one was kept", cause);
    }

    /** Whether the failure says the session itself is gone (connection errors, server shut down or crashed). */
    static boolean isConnectionLost(SQLException e) {
        for (SQLException next = e; next != null; next = next.getNextException()) {
            String state = next.getSQLState();
            if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                    || state.equals("57P03"))) {
                return true;
            }
        }
        return false;
    }
}
