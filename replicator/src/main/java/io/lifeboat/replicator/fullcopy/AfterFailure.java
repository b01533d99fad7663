package io.lifeboat.replicator.fullcopy;

import java.sql.SQLException;

/**
 * Clean-up after a failed copy. A connection the failure broke may already be closed by the pool, so a step that
 * fails too is attached to the failure, never reported in its place: the failure is the news.
 */
final class AfterFailure {
    /** One clean-up step, e.g. a rollback. */
    interface Step {
        void run() throws SQLException;
    }

    private AfterFailure() {
    }

    /** Runs every step, each whatever the others did. */
    static void run(Exception failure, Step... steps) {
        for (Step step : steps) {
            try {
                step.run();
            } catch (SQLException suppressed) {
                failure.addSuppressed(suppressed);
            }
        }
    }
}
