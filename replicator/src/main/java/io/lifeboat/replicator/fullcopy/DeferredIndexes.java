package io.lifeboat.replicator.fullcopy;

import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The indexes of a standby table that a whole copy drops before loading and builds again after it, inside the
 * copy's transaction: building an index once over the loaded rows is much cheaper than maintaining it row by row
 * (pg_dump loads the same way). Readers never see the table without them, as nothing commits in between.
 *
 * <p>Only what can be rebuilt exactly from its definition is taken: valid indexes in the default tablespace,
 * plain or behind a primary key, unique or exclusion constraint of the same name, with no statistics target, not
 * part of a partitioned index, and that nothing else depends on (a foreign key, a view grouping by the key), of
 * a table the standby user owns. Every other index stays and is maintained during the load. Comments, the replica
 * identity and the clustering mark are put back.
 */
final class DeferredIndexes {
    private static final String REBUILDABLE = """
            select ic.relname, pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid), c.contype,
                   c.condeferrable, c.condeferred, i.indisreplident, i.indisclustered,
                   obj_description(i.indexrelid, 'pg_class'), obj_description(c.oid, 'pg_constraint')
            from pg_index i
            join pg_class ic on ic.oid = i.indexrelid
            join pg_class t on t.oid = i.indrelid
            left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
                                      and c.contype in ('p', 'u', 'x')
            where i.indrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass
              and i.indisvalid and i.indisready and i.indislive
              and ic.reltablespace = 0
              and pg_has_role(t.relowner, 'USAGE')
              and (c.oid is null or c.conname = ic.relname)
              and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
              and not exists (select 1 from pg_attribute a where a.attrelid = i.indexrelid and a.attstattarget >= 0)
              and not exists (select 1 from pg_constraint o where o.conindid = i.indexrelid
                                                              and o.conrelid = i.indrelid
                                                              and o.contype not in ('p', 'u', 'x'))
              and not exists (select 1 from pg_depend d
                              where d.deptype = 'n'
                                and ((d.refclassid = 'pg_class'::regclass and d.refobjid = i.indexrelid)
                                     or (d.refclassid = 'pg_constraint'::regclass and d.refobjid = c.oid)))
            order by ic.relname
            """;

    private final TableName table;
    private final List<Index> dropped;

    private DeferredIndexes(TableName table, List<Index> dropped) {
        this.table = table;
        this.dropped = dropped;
    }

    /** One index as it was, with what belongs to it. */
    private record Index(String name, String definition, String constraint, String constraintDefinition,
                         String constraintType, boolean deferrable, boolean deferred, boolean replicaIdentity,
                         boolean clustered, String comment, String constraintComment) {
    }

    /** Drops the rebuildable indexes of {@code table}; the caller's open transaction must hold the table's lock. */
    static DeferredIndexes drop(Connection standby, TableName table) throws SQLException {
        List<Index> indexes = new ArrayList<>();
        try (Statement settings = standby.createStatement()) {
            // The definitions are read, and later run by rebuild in this transaction, under the same quoting of
            // backslashes in literals.
            settings.execute("set local standard_conforming_strings = on");
        }
        try (PreparedStatement query = standby.prepareStatement(REBUILDABLE)) {
            query.setString(1, table.schema());
            query.setString(2, table.name());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    indexes.add(new Index(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), rows.getString(5), rows.getBoolean(6), rows.getBoolean(7),
                            rows.getBoolean(8), rows.getBoolean(9), rows.getString(10), rows.getString(11)));
                }
            }
        }
        try (Statement statement = standby.createStatement()) {
            for (Index index : indexes) {
                statement.execute(index.constraint() != null
                        ? "alter table only " + table.quoted() + " drop constraint " + TableName.quote(index.constraint())
                        : "drop index " + qualified(table, index.name()));
            }
        }
        return new DeferredIndexes(table, indexes);
    }

    /** Builds every dropped index again, as it was, in the transaction that dropped it. */
    void rebuild(Connection standby) throws SQLException {
        try (Statement statement = standby.createStatement()) {
            for (Index index : dropped) {
                if (index.constraint() == null) {
                    statement.execute(index.definition());
                } else if ("x".equals(index.constraintType())) {
                    statement.execute("alter table only " + table.quoted() + " add constraint "
                            + TableName.quote(index.constraint()) + " " + index.constraintDefinition());
                } else {
                    // The index first, from its own definition: a key's constraint definition leaves out its
                    // storage parameters (fillfactor, deduplicate_items).
                    statement.execute(index.definition());
                    statement.execute("alter table only " + table.quoted() + " add constraint "
                            + TableName.quote(index.constraint())
                            + ("p".equals(index.constraintType()) ? " primary key" : " unique")
                            + " using index " + TableName.quote(index.name())
                            + (index.deferrable() ? " deferrable" : "")
                            + (index.deferred() ? " initially deferred" : ""));
                }
                if (index.constraintComment() != null) {
                    statement.execute("comment on constraint " + TableName.quote(index.constraint()) + " on "
                            + table.quoted() + " is " + literal(index.constraintComment()));
                }
                if (index.comment() != null) {
                    statement.execute("comment on index " + qualified(table, index.name()) + " is "
                            + literal(index.comment()));
                }
                if (index.replicaIdentity()) {
                    statement.execute("alter table only " + table.quoted() + " replica identity using index "
                            + TableName.quote(index.name()));
                }
                if (index.clustered()) {
                    statement.execute("alter table only " + table.quoted() + " cluster on "
                            + TableName.quote(index.name()));
                }
            }
        }
    }

    /** The dropped indexes' names, in name order. */
    List<String> names() {
        return dropped.stream().map(Index::name).toList();
    }

    private static String qualified(TableName table, String index) {
        return TableName.quote(table.schema()) + "." + TableName.quote(index);
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
