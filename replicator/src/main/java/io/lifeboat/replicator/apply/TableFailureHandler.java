package io.lifeboat.replicator.apply;

import java.sql.Connection;
import java.sql.SQLException;

/** What to do when a change does not fit one standby table: repair the standby, or pause that table. */
@FunctionalInterface
public interface TableFailureHandler {
    /** Without a handler the failure ends the apply. */
    TableFailureHandler REFUSE = (failure, applyConnection) -> {
        throw failure;
    };

    /**
     * Repairs the standby (through {@code applyConnection}, inside the applier's open transaction, whose locks a
     * second connection would wait for) or pauses the table; throws when it can do neither.
     */
    void handle(SchemaDriftException failure, Connection applyConnection) throws SQLException;
}
