package io.lifeboat.replicator.status;

import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.setup.ReplicationSlot;
import io.lifeboat.replicator.setup.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/** What the master can tell about replication: its position, the slot, and which tables are replicated how. */
record MasterSide(Lsn position, Optional<ReplicationSlot.SlotState> slot, TableSelection selection) {

    static MasterSide read(Connection master, ReplicationConfig config) throws SQLException {
        Optional<ReplicationSlot.SlotState> slot = ReplicationSlot.state(master, config.slot());
        Lsn position = Lsn.parse(StatusReader.single(master, "select pg_current_wal_lsn()::text"));
        return new MasterSide(position, slot, TableSelection.of(TableCatalog.read(master), config));
    }
}
