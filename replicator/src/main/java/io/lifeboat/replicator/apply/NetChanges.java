package io.lifeboat.replicator.apply;

import io.lifeboat.replicator.route.ChangeKind;
import io.lifeboat.replicator.route.RowChange;
import io.lifeboat.replicator.schema.TableName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The net effect of many changes on each row: what a group of master transactions leaves behind, row by row.
 * Inside one standby transaction nobody sees the steps in between, so a table's rows can then be written with one
 * bulk delete and one bulk upsert, instead of one statement each time the stream switches tables.
 */
final class NetChanges {
    private final Map<TableName, Map<Map<String, String>, RowChange>> byTable = new LinkedHashMap<>();

    boolean isEmpty() {
        return byTable.isEmpty();
    }

    /** Takes an INSERT, UPDATE or DELETE; a TRUNCATE is a barrier the caller handles. */
    void add(RowChange change) {
        Map<Map<String, String>, RowChange> rows = byTable.computeIfAbsent(change.table(), t -> new LinkedHashMap<>());
        RowChange previous = rows.get(change.key());
        if (previous != null && change.kind() != ChangeKind.DELETE && !change.unchanged().isEmpty()
                && previous.kind() != ChangeKind.DELETE) {
            rows.put(change.key(), merged(previous, change));
        } else {
            rows.put(change.key(), change);
        }
    }

    /** An update that left TOASTed columns out, on top of an earlier image of the same row in this group. */
    private static RowChange merged(RowChange earlier, RowChange later) {
        Map<String, String> values = new LinkedHashMap<>(earlier.values());
        values.putAll(later.values());
        Set<String> unchanged = new HashSet<>(earlier.unchanged());
        unchanged.addAll(later.unchanged());
        unchanged.removeAll(values.keySet());
        return new RowChange(later.table(), later.kind(), later.key(), values, Set.copyOf(unchanged));
    }

    /**
     * Statements for the net effect: per table, deletes, then upserts grouped by their columns (in the order of
     * the sorted column lists), each group in the order its rows first changed.
     */
    List<ChangeRun> runs(int maxRows) {
        List<ChangeRun> runs = new ArrayList<>();
        for (Map<Map<String, String>, RowChange> rows : byTable.values()) {
            // Rows of one table nearly always share their column set: grouping by the set itself (hashed once per
            // row) instead of sorting by a string built per comparison.
            List<RowChange> deletes = new ArrayList<>();
            Map<Set<String>, List<RowChange>> upserts = new LinkedHashMap<>();
            for (RowChange change : rows.values()) {
                if (change.kind() == ChangeKind.DELETE) {
                    deletes.add(change);
                } else {
                    upserts.computeIfAbsent(change.values().keySet(), columns -> new ArrayList<>()).add(change);
                }
            }
            List<List<RowChange>> ordered = new ArrayList<>();
            ordered.add(deletes);
            upserts.entrySet().stream()
                    .sorted(Comparator.comparing(e -> String.join(",", new TreeSet<>(e.getKey()))))
                    .forEach(e -> ordered.add(e.getValue()));
            for (List<RowChange> group : ordered) {
                ChangeRun run = null;
                for (RowChange change : group) {
                    if (run == null || !run.offer(change, maxRows)) {
                        run = ChangeRun.startingWith(change);
                        runs.add(run);
                    }
                }
            }
        }
        byTable.clear();
        return runs;
    }
}
