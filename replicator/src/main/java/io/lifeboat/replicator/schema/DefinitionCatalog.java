package io.lifeboat.replicator.schema;

import io.lifeboat.replicator.schema.TableDefinition.ColumnDefinition;
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
 * Reads table definitions from {@code pg_catalog} in one query per call, whatever the number of tables: the schema
 * watch compares every replicated table on both servers every few seconds. The same tables as
 * {@link TableCatalog}: ordinary tables and partitions, never system schemas, Lifeboat's own only when named.
 */
public final class DefinitionCatalog {
    private static final String DEFINITIONS = """
            select n.nspname, c.relname, quote_ident(n.nspname), quote_ident(c.relname),
                   a.attname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,
                   case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,
                   a.attidentity::text,
                   quote_ident(pk.conname),
                   coalesce((select array_agg(ka.attname::text order by k.ord)
                             from unnest(pk.conkey) with ordinality as k(attnum, ord)
                             join pg_attribute ka on ka.attrelid = c.oid and ka.attnum = k.attnum), '{}'),
                   (select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
                    from pg_inherits i join pg_class pc on pc.oid = i.inhparent
                    join pg_namespace pn on pn.oid = pc.relnamespace
                    where c.relispartition and i.inhrelid = c.oid),
                   case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
            left join pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
            where c.relkind = 'r'
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
              and (n.nspname, c.relname) = (coalesce(?, n.nspname), coalesce(?, c.relname))
              and (? or n.nspname <> 'lifeboat')
            order by n.nspname, c.relname, a.attnum
            """;

    private DefinitionCatalog() {
    }

    /** Every user table, in name order; Lifeboat's own schema is not the user's. */
    public static Map<TableName, TableDefinition> read(Connection connection) throws SQLException {
        return query(connection, null);
    }

    /** One table, in any schema, or empty when it does not exist. */
    public static Optional<TableDefinition> find(Connection connection, TableName name) throws SQLException {
        return Optional.ofNullable(query(connection, name).get(name));
    }

    private static Map<TableName, TableDefinition> query(Connection connection, TableName only) throws SQLException {
        Map<TableName, TableDefinition> tables = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(DEFINITIONS)) {
            statement.setString(1, only == null ? null : only.schema());
            statement.setString(2, only == null ? null : only.name());
            statement.setBoolean(3, only != null);
            try (ResultSet rows = statement.executeQuery()) {
                TableName current = null;
                List<ColumnDefinition> columns = null;
                while (rows.next()) {
                    TableName name = new TableName(rows.getString(1), rows.getString(2));
                    if (!name.equals(current)) {
                        current = name;
                        columns = new ArrayList<>();
                        Array key = rows.getArray(13);
                        tables.put(name, new TableDefinition(name, rows.getString(3), rows.getString(4), columns,
                                List.of((String[]) key.getArray()), rows.getString(12), rows.getString(14),
                                rows.getString(15)));
                    }
                    if (rows.getString(5) != null) {
                        columns.add(new ColumnDefinition(rows.getString(5), rows.getString(6), rows.getString(7),
                                rows.getBoolean(8), rows.getString(9), rows.getString(10), rows.getString(11)));
                    }
                }
            }
        }
        tables.replaceAll((name, table) -> new TableDefinition(name, table.sqlSchema(), table.sqlTable(),
                List.copyOf(table.columns()), table.primaryKey(), table.primaryKeyConstraint(), table.partitionOf(),
                table.partitionBound()));
        return tables;
    }
}
