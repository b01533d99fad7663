package io.lifeboat.replicator.apply;

import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what to do about schema drift: a column added on the master as nullable without a default is added to
 * the standby the same way (nothing the standby holds can conflict with it); anything else pauses the table until
 * the operator fixes the standby, while every other table goes on.
 */
public final class DriftRepair {
    private static final Logger log = LoggerFactory.getLogger(DriftRepair.class);

    private DriftRepair() {
    }

    /**
     * @param standby the applier's own connection: the column is added in its open transaction
     * @return true when the standby was repaired and the changes can be applied again
     */
    public static boolean tryRepair(SchemaDriftException drift, Connection master, Connection standby)
            throws SQLException {
        Optional<String> column = drift.missingColumn();
        if (column.isEmpty()) {
            return false;
        }
        TableName table = drift.table();
        try (PreparedStatement statement = master.prepareStatement("""
                select format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, a.attgenerated <> ''
                from pg_attribute a
                where a.attrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass and a.attname = ?
                  and not a.attisdropped
                """)) {
            statement.setString(1, table.schema());
            statement.setString(2, table.name());
            statement.setString(3, column.get());
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next() || row.getBoolean(2) || row.getBoolean(3) || row.getBoolean(4)) {
                    return false;
                }
                String type = row.getString(1);
                // Inside the applier's transaction: a second connection would wait for its locks on the table.
                try (Statement alter = standby.createStatement()) {
                    alter.execute("alter table " + table.quoted() + " add column if not exists "
                            + TableName.quote(column.get()) + " " + type);
                }
                log.warn("{}: added column {} {} on standby (added on master as nullable)", table, column.get(), type);
                return true;
            }
        }
    }
}
