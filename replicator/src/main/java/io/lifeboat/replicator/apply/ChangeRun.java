package io.lifeboat.replicator.apply;

import io.lifeboat.replicator.route.ChangeKind;
import io.lifeboat.replicator.route.RowChange;
import io.lifeboat.replicator.schema.TableName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Consecutive changes that one statement can apply: same table, same kind of statement, same columns, and no row
 * key twice (a multi-row upsert cannot touch one row twice, and order within a key must be kept).
 */
final class ChangeRun {
    enum Shape { UPSERT, DELETE, UPDATE_SOME_COLUMNS, TRUNCATE }

    private final TableName table;
    private final Shape shape;
    private final List<String> columns;
    private final Set<String> columnSet;
    private final List<RowChange> rows = new ArrayList<>();
    private final Set<Map<String, String>> keys = new HashSet<>();

    private ChangeRun(TableName table, Shape shape, Set<String> columnSet) {
        this.table = table;
        this.shape = shape;
        this.columnSet = Set.copyOf(columnSet);
        this.columns = List.copyOf(new TreeSet<>(columnSet));
    }

    static ChangeRun startingWith(RowChange change) {
        ChangeRun run = new ChangeRun(change.table(), shapeOf(change), columnSetOf(change));
        run.rows.add(change);
        run.keys.add(change.key());
        return run;
    }

    /** Adds the change if it fits this run; false means the run must be applied first. */
    boolean offer(RowChange change, int maxRows) {
        if (shape == Shape.TRUNCATE || shape == Shape.UPDATE_SOME_COLUMNS || rows.size() >= maxRows
                || !change.table().equals(table) || shapeOf(change) != shape
                || !columnSetOf(change).equals(columnSet) || !keys.add(change.key())) {
            return false;
        }
        rows.add(change);
        return true;
    }

    TableName table() {
        return table;
    }

    Shape shape() {
        return shape;
    }

    List<String> columns() {
        return columns;
    }

    List<RowChange> rows() {
        return rows;
    }

    private static Shape shapeOf(RowChange change) {
        return switch (change.kind()) {
            case TRUNCATE -> Shape.TRUNCATE;
            case DELETE -> Shape.DELETE;
            case INSERT, UPDATE -> change.unchanged().isEmpty() ? Shape.UPSERT : Shape.UPDATE_SOME_COLUMNS;
        };
    }

    /** Compared as the set it is, without sorting a copy for every row offered. */
    private static Set<String> columnSetOf(RowChange change) {
        return change.kind() == ChangeKind.DELETE ? change.key().keySet() : change.values().keySet();
    }
}
