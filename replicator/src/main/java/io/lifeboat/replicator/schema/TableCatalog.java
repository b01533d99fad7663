package io.lifeboat.replicator.schema;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the user tables of one database from {@code pg_catalog}: ordinary tables and partitions (changes of a
 * partitioned table arrive per partition), never system schemas or Lifeboat's own.
 */
public final class TableCatalog {
    private static final String TABLES = """
            select n.nspname, c.relname,
                   coalesce((select array_agg(a.attname::text order by k.ord)
                             from pg_index i
                             cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
                             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                             where i.indrelid = c.oid and i.indisprimary), '{}') as primary_key
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r'
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
              and (n.nspname, c.relname) = (coalesce(?, n.nspname), coalesce(?, c.relname))
              and (? or n.nspname <> 'lifeboat')
            order by 1, 2
            """;
    private static final String COLUMNS = """
            select a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''
            from pg_attribute a
            where a.attrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass
              and a.attnum > 0 and not a.attisdropped
            order by a.attnum
            """;

    private TableCatalog() {
    }

    /** Every user table, with columns and primary key; Lifeboat's own schema is not the user's. */
    public static List<Table> read(Connection connection) throws SQLException {
        return query(connection, null);
    }

    private static List<Table> query(Connection connection, TableName only) throws SQLException {
        Map<TableName, List<String>> keys = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(TABLES)) {
            statement.setString(1, only == null ? null : only.schema());
            statement.setString(2, only == null ? null : only.name());
            statement.setBoolean(3, only != null);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    Array key = rows.getArray(3);
                    keys.put(new TableName(rows.getString(1), rows.getString(2)), List.of((String[]) key.getArray()));
                }
            }
        }
        List<Table> tables = new ArrayList<>();
        for (Map.Entry<TableName, List<String>> entry : keys.entrySet()) {
            tables.add(new Table(entry.getKey(), columns(connection, entry.getKey()), entry.getValue()));
        }
        return tables;
    }

    /** One table, in any schema, or empty when it does not exist. */
    public static Optional<Table> find(Connection connection, TableName name) throws SQLException {
        return query(connection, name).stream().findFirst();
    }

    static List<Column> columns(Connection connection, TableName name) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(COLUMNS)) {
            statement.setString(1, name.schema());
            statement.setString(2, name.name());
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    columns.add(new Column(rows.getString(1), rows.getString(2), rows.getBoolean(3)));
                }
            }
        }
        return columns;
    }
}
