package io.lifeboat.replicator.setup;

import io.lifeboat.replicator.schema.DefinitionCatalog;
import io.lifeboat.replicator.schema.SchemaMismatch;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableDefinition;
import io.lifeboat.replicator.schema.TableDefinition.ColumnDefinition;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compares the standby's tables with the master's ({@link SchemaMismatch}), and gives the standby the columns it
 * can be given without risk. Lifeboat's own tables are never compared.
 */
public final class StandbyTables {
    private StandbyTables() {
    }

    /** The tables among {@code tables} whose standby definition differs from the master's, with how; read-only. */
    public static Map<TableName, SchemaMismatch> compare(Connection master, Connection standby, List<Table> tables)
            throws SQLException {
        Map<TableName, TableDefinition> onMaster = DefinitionCatalog.read(master);
        Map<TableName, TableDefinition> onStandby = DefinitionCatalog.read(standby);
        Collection<TableDefinition> standbyOnly = standbyOnly(onMaster, onStandby);
        Map<TableName, SchemaMismatch> mismatches = new LinkedHashMap<>();
        for (Table table : tables) {
            TableDefinition definition = onMaster.get(table.name());
            if (definition == null) {
                continue;
            }
            SchemaMismatch mismatch = SchemaMismatch.compare(definition, onStandby.get(table.name()), standbyOnly);
            if (!mismatch.identical()) {
                mismatches.put(table.name(), mismatch);
            }
        }
        return mismatches;
    }

    /** One table; empty when the master has no such table (or it is one of Lifeboat's). */
    public static Optional<SchemaMismatch> compare(Connection master, Connection standby, TableName table)
            throws SQLException {
        Optional<TableDefinition> definition = DefinitionCatalog.find(master, table);
        if (definition.isEmpty() || table.schema().equals("lifeboat")) {
            return Optional.empty();
        }
        Optional<TableDefinition> there = DefinitionCatalog.find(standby, table);
        // Only a table missing on the standby needs the others, to tell whether it was renamed.
        Collection<TableDefinition> standbyOnly = there.isPresent() ? List.of()
                : standbyOnly(DefinitionCatalog.read(master), DefinitionCatalog.read(standby));
        return Optional.of(SchemaMismatch.compare(definition.get(), there.orElse(null), standbyOnly));
    }

    /**
     * Why each table of {@code selection} that is not replicated now is not, read-only, for {@code sync status}:
     * the standby's table does not fit (the fix line), or, when {@code published} is given, a streamed table is
     * not in the publication yet (created on the master since {@code sync run} last looked).
     */
    public static Map<TableName, String> unreplicated(Connection master, Connection standby, TableSelection selection,
                                                      Optional<Collection<TableName>> published) throws SQLException {
        Map<TableName, String> reasons = new LinkedHashMap<>();
        compare(master, standby, selection.all()).forEach((table, mismatch) -> {
            if (!mismatch.fits()) {
                reasons.put(table, mismatch.line());
            }
        });
        if (published.isPresent()) {
            for (Table table : selection.pushdelta()) {
                if (!published.get().contains(table.name()) && !reasons.containsKey(table.name())) {
                    reasons.put(table.name(), table.name() + ": not replicated yet (new on master, not in the"
                            + " publication): a running sync run publishes and copies it within a minute");
                }
            }
        }
        return reasons;
    }

    private static Collection<TableDefinition> standbyOnly(Map<TableName, TableDefinition> onMaster,
                                                          Map<TableName, TableDefinition> onStandby) {
        return onStandby.values().stream().filter(t -> !onMaster.containsKey(t.name())).toList();
    }

    /**
     * Adds to the standby's table the columns the master added as nullable without a default: the standby's rows
     * get NULL there, exactly as the master's did, so nothing is lost or invented.
     *
     * @return the columns added, {@code note text} each
     */
    public static List<String> addColumns(Connection standby, SchemaMismatch mismatch) throws SQLException {
        List<String> added = new ArrayList<>();
        List<ColumnDefinition> columns = mismatch.addableColumns();
        if (columns.isEmpty()) {
            return added;
        }
        // On the applier's connection this runs inside its open transaction (whose locks a second connection would
        // wait for, while the applier waits for it), and commits or rolls back with the changes it makes room for.
        try (Statement alter = standby.createStatement()) {
            for (ColumnDefinition column : columns) {
                alter.execute("alter table " + mismatch.sqlName() + " add column if not exists " + column.sql());
                added.add(column.sql());
            }
        }
        return added;
    }
}
