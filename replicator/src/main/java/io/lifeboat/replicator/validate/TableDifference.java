package io.lifeboat.replicator.validate;

import java.util.List;

/**
 * What differs in one table between master and standby.
 *
 * @param changed keys whose row differs (tables with a primary key), as text
 * @param missing rows or keys on the master but not on the standby
 * @param extra rows or keys on the standby but not on the master
 * @param broad when the table differs in so many places that listing rows would cost more than copying it: the
 *     number of differing buckets, and the lists are empty; 0 otherwise
 * @param schema how the standby's table itself differs: {@code column b exists only on standby}, {@code column c
 *     missing on standby}, {@code table missing on standby}; only the columns both sides have are compared row by
 *     row, so these are differences of their own
 */
public record TableDifference(String table, long rows, List<String> changed, List<String> missing,
                              List<String> extra, int broad, long standbyRows, List<String> schema) {
    public TableDifference(String table, long rows, List<String> changed, List<String> missing, List<String> extra) {
        this(table, rows, changed, missing, extra, 0, -1, List.of());
    }

    public static TableDifference broad(String table, long masterRows, long standbyRows, int differingBuckets) {
        return new TableDifference(table, masterRows, List.of(), List.of(), List.of(), differingBuckets, standbyRows,
                List.of());
    }

    /** The standby has no such table: nothing to compare row by row. */
    public static TableDifference tableMissing(String table, long masterRows) {
        return new TableDifference(table, masterRows, List.of(), List.of(), List.of(), 0, -1,
                List.of("table missing on standby"));
    }

    /** The same rows, and the standby's table differing from the master's as {@code schema} says. */
    public TableDifference withSchema(List<String> schema) {
        return new TableDifference(table, rows, changed, missing, extra, broad, standbyRows, List.copyOf(schema));
    }

    public boolean inSync() {
        return broad == 0 && changed.isEmpty() && missing.isEmpty() && extra.isEmpty() && schema.isEmpty();
    }

    /**
     * {@code public.accounts: OUT OF SYNC: 3 rows differ (keys 17, 4031, 99012), 1 missing on standby}, or with the
     * table's own differences first: {@code public.t: OUT OF SYNC: column b exists only on standby}
     */
    public String describe() {
        if (inSync()) {
            return table + ": in sync (" + String.format(java.util.Locale.ROOT, "%,d", rows) + " rows)";
        }
        String columns = schema.isEmpty() ? "" : String.join("; ", schema);
        if (broad > 0) {
            return String.format(java.util.Locale.ROOT, "%s: OUT OF SYNC: %s%,d of %,d buckets differ (%,d rows on"
                    + " master, %,d on standby); too many rows to list", table, columns.isEmpty() ? "" : columns + "; ",
                    broad, RowHashes.BUCKETS, rows, standbyRows);
        }
        StringBuilder text = new StringBuilder(table).append(": OUT OF SYNC: ").append(columns);
        String separator = columns.isEmpty() ? "" : "; ";
        if (!changed.isEmpty()) {
            text.append(changed.size()).append(changed.size() == 1 ? " row differs" : " rows differ")
                    .append(" (keys ").append(sample(changed)).append(')');
            separator = ", ";
        }
        if (!missing.isEmpty()) {
            text.append(separator).append(missing.size()).append(" missing on standby (").append(sample(missing)).append(')');
            separator = ", ";
        }
        if (!extra.isEmpty()) {
            text.append(separator).append(extra.size()).append(" extra on standby (").append(sample(extra)).append(')');
        }
        return text.toString();
    }

    private static String sample(List<String> keys) {
        int shown = Math.min(keys.size(), 10);
        return String.join(", ", keys.subList(0, shown)) + (keys.size() > shown ? ", …" : "");
    }
}
