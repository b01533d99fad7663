package io.lifeboat.replicator.schema;

import io.lifeboat.replicator.schema.TableDefinition.ColumnDefinition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a standby's table differs from the master's, each difference with the SQL that removes it on the standby.
 * DDL is not in the change stream, so every ALTER on the master shows up here; {@link #line()} is what an operator
 * reads: {@code public.t: column v is bigint on master, integer on standby: ALTER TABLE public.t ALTER COLUMN v TYPE
 * bigint on the standby}.
 *
 * <p>Only what replication depends on is compared: the table, its columns by name (type, generated or not, a NOT
 * NULL the master does not have) and its primary key. {@code sqlName} is the table's name as the fix's SQL
 * writes it. A fix may lose standby rows (a dropped column, a table
 * renamed onto an older one): that is safe because a table resumes from a whole fresh copy.
 */
public record SchemaMismatch(TableName table, String sqlName, List<Difference> differences) {

    /** What kind of fix a difference needs. */
    public enum Kind {
        /** A column the master added as nullable without a default: adding it can conflict with nothing. */
        ADDABLE_COLUMN,
        /** A subcommand of one {@code ALTER TABLE} on the table. */
        ALTER,
        /** A statement of its own, run before the {@code ALTER TABLE}. */
        STATEMENT
    }

    /**
     * @param problem what differs, e.g. {@code column v is bigint on master, integer on standby}
     * @param fix the SQL, a whole statement or an {@code ALTER TABLE} subcommand
     * @param column the column to add, for {@link Kind#ADDABLE_COLUMN}; else null
     */
    public record Difference(String problem, Kind kind, String fix, ColumnDefinition column) {
    }

    /**
     * Compares one table.
     *
     * @param standby the standby's table of the same name, or null when it has none
     * @param standbyOnly the standby's tables that the master does not have: one with the same columns and key is
     *     what a missing table was called before a rename on the master
     */
    public static SchemaMismatch compare(TableDefinition master, TableDefinition standby,
                                         Collection<TableDefinition> standbyOnly) {
        List<Difference> differences = new ArrayList<>();
        if (standby == null) {
            differences.add(missingTable(master, standbyOnly));
            return new SchemaMismatch(master.name(), master.sqlName(), List.copyOf(differences));
        }
        String alterTable = "ALTER TABLE " + master.sqlName() + " ";
        List<ColumnDefinition> masterColumns = master.columns();
        List<ColumnDefinition> standbyColumns = standby.columns();
        Set<String> renamedOnStandby = new HashSet<>();
        for (int i = 0; i < masterColumns.size(); i++) {
            ColumnDefinition column = masterColumns.get(i);
            Optional<ColumnDefinition> there = standby.column(column.name());
            if (there.isEmpty()) {
                Optional<ColumnDefinition> renamed = renamedColumn(master, standby, i);
                if (renamed.isPresent()) {
                    renamedOnStandby.add(renamed.get().name());
                    differences.add(new Difference("column " + column.name() + " is named " + renamed.get().name()
                            + " on standby (renamed on master?)", Kind.STATEMENT,
                            alterTable + "RENAME COLUMN " + renamed.get().sqlName() + " TO " + column.sqlName(),
                            null));
                } else if (addable(column)) {
                    differences.add(new Difference("column " + column.name() + " missing on standby",
                            Kind.ADDABLE_COLUMN, "ADD COLUMN " + column.sql(), column));
                } else {
                    differences.add(new Difference("column " + column.name() + " missing on standby", Kind.ALTER,
                            "ADD COLUMN " + addedColumn(column), null));
                }
                continue;
            }
            ColumnDefinition standbyColumn = there.get();
            if (!column.type().equals(standbyColumn.type())) {
                differences.add(new Difference("column " + column.name() + " is " + column.type() + " on master, "
                        + standbyColumn.type() + " on standby", Kind.ALTER,
                        "ALTER COLUMN " + column.sqlName() + " TYPE " + column.type(), null));
            }
            if (column.generated() && !standbyColumn.generated()) {
                differences.add(new Difference("column " + column.name() + " is generated on master, not on"
                        + " standby", Kind.ALTER, "DROP COLUMN " + column.sqlName() + ", ADD COLUMN " + column.sql(),
                        null));
            } else if (!column.generated() && standbyColumn.generated()) {
                differences.add(new Difference("column " + column.name() + " is generated on standby, not on"
                        + " master", Kind.ALTER, "ALTER COLUMN " + column.sqlName() + " DROP EXPRESSION", null));
            } else if (!column.notNull() && standbyColumn.notNull() && !master.primaryKey().contains(column.name())) {
                differences.add(new Difference("column " + column.name() + " is NOT NULL on standby, nullable on"
                        + " master", Kind.ALTER, "ALTER COLUMN " + column.sqlName() + " DROP NOT NULL", null));
            }
        }
        for (ColumnDefinition column : standbyColumns) {
            if (master.column(column.name()).isEmpty() && !renamedOnStandby.contains(column.name())) {
                differences.add(new Difference("column " + column.name() + " exists only on standby", Kind.ALTER,
                        "DROP COLUMN " + column.sqlName(), null));
            }
        }
        primaryKey(master, standby).ifPresent(differences::add);
        return new SchemaMismatch(master.name(), master.sqlName(), List.copyOf(differences));
    }

    /** Nothing differs. */
    public boolean identical() {
        return differences.isEmpty();
    }

    /** Replication can go on once the addable columns are added: nothing else differs. */
    public boolean fits() {
        return differences.stream().allMatch(d -> d.kind() == Kind.ADDABLE_COLUMN);
    }

    /** Columns the standby can be given as they are, with nothing it holds to conflict with them. */
    public List<ColumnDefinition> addableColumns() {
        return differences.stream().filter(d -> d.kind() == Kind.ADDABLE_COLUMN).map(Difference::column).toList();
    }

    /** Every difference, addable columns included: what {@code sync validate} reports. */
    public List<String> problems() {
        return differences.stream().map(Difference::problem).toList();
    }

    /**
     * The one line an operator needs, of the differences that stop replication (not addable columns):
     * {@code table: problem; problem: SQL on the standby}.
     */
    public String line() {
        return table + ": " + blocking().stream().map(Difference::problem).collect(Collectors.joining("; ")) + ": "
                + fix() + " on the standby";
    }

    /** The SQL that makes the standby's table fit, statements separated by {@code ;}: renames first. */
    public String fix() {
        List<Difference> blocking = blocking();
        List<String> statements = new ArrayList<>(blocking.stream().filter(d -> d.kind() == Kind.STATEMENT)
                .map(Difference::fix).toList());
        String alters = blocking.stream().filter(d -> d.kind() == Kind.ALTER).map(Difference::fix)
                .collect(Collectors.joining(", "));
        if (!alters.isEmpty()) {
            statements.add("ALTER TABLE " + sqlName + " " + alters);
        }
        return String.join("; ", statements);
    }

    private List<Difference> blocking() {
        return differences.stream().filter(d -> d.kind() != Kind.ADDABLE_COLUMN).toList();
    }

    private static Difference missingTable(TableDefinition master, Collection<TableDefinition> standbyOnly) {
        List<TableDefinition> candidates = standbyOnly.stream().filter(t -> sameShape(master, t)).toList();
        if (candidates.size() == 1) {
            TableDefinition old = candidates.get(0);
            List<String> statements = new ArrayList<>();
            String current = old.sqlName();
            if (!old.name().schema().equals(master.name().schema())) {
                statements.add("ALTER TABLE " + current + " SET SCHEMA " + master.sqlSchema());
                current = master.sqlSchema() + "." + old.sqlTable();
            }
            if (!old.name().name().equals(master.name().name())) {
                statements.add("ALTER TABLE " + current + " RENAME TO " + master.sqlTable());
            }
            return new Difference("table missing on standby, where " + old.name() + " has its columns (renamed on"
                    + " master?)", Kind.STATEMENT, String.join("; ", statements), null);
        }
        String create;
        if (master.partitionOf() != null) {
            create = "CREATE TABLE " + master.sqlName() + " PARTITION OF " + master.partitionOf() + " "
                    + master.partitionBound();
        } else {
            List<String> parts = new ArrayList<>(master.columns().stream().map(ColumnDefinition::sql).toList());
            if (!master.primaryKey().isEmpty()) {
                parts.add("PRIMARY KEY (" + columnList(master, master.primaryKey()) + ")");
            }
            create = "CREATE TABLE " + master.sqlName() + " (" + String.join(", ", parts) + ")";
        }
        return new Difference("table missing on standby", Kind.STATEMENT, create, null);
    }

    /** Same column names and types in the same order, and the same primary key. */
    private static boolean sameShape(TableDefinition a, TableDefinition b) {
        return a.primaryKey().equals(b.primaryKey()) && a.columns().size() == b.columns().size()
                && a.columns().stream().map(c -> c.name() + " " + c.type()).toList()
                        .equals(b.columns().stream().map(c -> c.name() + " " + c.type()).toList());
    }

    /**
     * The standby's column at the same place as a master column it lacks, when that column is not on the master
     * and has the same type: most likely the same column, renamed on the master.
     */
    private static Optional<ColumnDefinition> renamedColumn(TableDefinition master, TableDefinition standby,
                                                            int position) {
        if (position >= standby.columns().size()) {
            return Optional.empty();
        }
        ColumnDefinition candidate = standby.columns().get(position);
        ColumnDefinition column = master.columns().get(position);
        return master.column(candidate.name()).isEmpty() && candidate.type().equals(column.type())
                && candidate.generated() == column.generated() ? Optional.of(candidate) : Optional.empty();
    }

    /** Added on the master as nullable, without a default: rows the standby holds get NULL, as on the master. */
    private static boolean addable(ColumnDefinition column) {
        return !column.notNull() && column.defaultExpression() == null && !column.generated()
                && column.identity().isEmpty();
    }

    /**
     * A NOT NULL column without a default cannot be added to a table with rows: it is added nullable (the fresh
     * copy fills it); with a default, as on the master.
     */
    private static String addedColumn(ColumnDefinition column) {
        if (column.notNull() && column.defaultExpression() == null && !column.generated()
                && column.identity().isEmpty()) {
            return new ColumnDefinition(column.name(), column.sqlName(), column.type(), false, null, null, "").sql();
        }
        return column.sql();
    }

    private static Optional<Difference> primaryKey(TableDefinition master, TableDefinition standby) {
        if (Set.copyOf(master.primaryKey()).equals(Set.copyOf(standby.primaryKey()))) {
            return Optional.empty();
        }
        String masterKey = "(" + String.join(", ", master.primaryKey()) + ")";
        String standbyKey = "(" + String.join(", ", standby.primaryKey()) + ")";
        if (master.primaryKey().isEmpty()) {
            return Optional.of(new Difference("primary key " + standbyKey + " exists only on standby", Kind.ALTER,
                    "DROP CONSTRAINT " + standby.primaryKeyConstraint(), null));
        }
        String add = "ADD PRIMARY KEY (" + columnList(master, master.primaryKey()) + ")";
        if (standby.primaryKey().isEmpty()) {
            return Optional.of(new Difference("primary key " + masterKey + " missing on standby", Kind.ALTER, add,
                    null));
        }
        return Optional.of(new Difference("primary key is " + masterKey + " on master, " + standbyKey
                + " on standby", Kind.ALTER, "DROP CONSTRAINT " + standby.primaryKeyConstraint() + ", " + add, null));
    }

    private static String columnList(TableDefinition table, List<String> names) {
        return names.stream().map(n -> table.column(n).map(ColumnDefinition::sqlName).orElse(TableName.quote(n)))
                .collect(Collectors.joining(", "));
    }
}
