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
 */
public record TableDifference(String table, long rows, List<String> changed, List<String> missing,
                              List<String> extra, int broad, long standbyRows) {
    public TableDifference(String table, long rows, List<String> changed, List<String> missing, List<String> extra) {
        this(table, rows, changed, missing, extra, 0, -1);
    }

    public static TableDifference broad(String table, long masterRows, long standbyRows, int differingBuckets) {
        return new TableDifference(table, masterRows, List.of(), List.of(), List.of(), differingBuckets, standbyRows);
    }

    public boolean inSync() {
        return broad == 0 && changed.isEmpty() && missing.isEmpty() && extra.isEmpty();
    }

    /** {@code public.accounts: OUT OF SYNC: 3 rows differ (keys 17, 4031, 99012), 1 missing on standby} */
    public String describe() {
        if (inSync()) {
            return table + ": in sync (" + String.format(java.util.Locale.ROOT, "%,d", rows) + " rows)";
        }
        if (broad > 0) {
            return String.format(java.util.Locale.ROOT, "%s: OUT OF SYNC: %,d of %,d buckets differ (%,d rows on"
                    + " master, %,d on standby); too many rows to list", table, broad, RowHashes.BUCKETS, rows,
                    standbyRows);
        }
        StringBuilder text = new StringBuilder(table).append(": OUT OF SYNC: ");
        String separator = "";
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
