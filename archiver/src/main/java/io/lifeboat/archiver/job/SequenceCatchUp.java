package io.lifeboat.archiver.job;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Brings the standby's sequences up to the master's, run just before the dump's snapshot is exported: sequences are
 * not in the change stream, so without it a dump holds the standby's sequences as the last periodic sync left them,
 * behind ids the dump already holds. The replicator's sequence sync does this; the archiver does not depend on the
 * replicator, so the caller hands it in.
 */
@FunctionalInterface
public interface SequenceCatchUp {
    /**
     * @return how many standby sequences it moved
     * @throws SQLException when a connection fails
     */
    int run(Connection master, Connection standby) throws SQLException;
}
