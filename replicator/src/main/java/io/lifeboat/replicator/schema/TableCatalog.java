package io.lifeboat.replicator.schema;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Reads the user tables of one database from {@code pg_catalog}: ordinary tables and partitions (changes of a
 * partitioned table arrive per partition), never system schemas or Lifeboat's own.
 */
public final class TableCatalog {
    private TableCatalog() {
    }

    /** Every user table, with columns and primary key; Lifeboat's own schema is not the user's. */
    public static List<Table> read(Connection connection) throws SQLException {
        return DefinitionCatalog.read(connection).values().stream().map(TableDefinition::table).toList();
    }

    /** One table, in any schema, or empty when it does not exist. */
    public static Optional<Table> find(Connection connection, TableName name) throws SQLException {
        return DefinitionCatalog.find(connection, name).map(TableDefinition::table);
    }
}
