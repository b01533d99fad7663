package io.lifeboat.replicator.validate;

import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Hashes of a table's rows, computed by the server so that rows never travel to Java unless they differ. A row's
 * hash combines its columns' hashes ({@link ColumnHash}: as stored where that is exact, else of the output text).
 * Buckets split the table by a hash of the key (or of the whole row, for tables without a primary key), so a
 * difference narrows to a few buckets, and only their rows are compared one by one, by the md5 of their text.
 */
final class RowHashes {
    static final int BUCKETS = 4096;
    /** Seeds of the bucket's key hash, apart from the row hash's (one per column position). */
    private static final int KEY_SEED = 1_000_000;

    private final Table table;
    private final String rowText;
    private final String keyText;
    private final String rowHash;
    private final String bucket;

    /** @param compared the columns to compare, typed as on both sides (a type that differs counts as text) */
    RowHashes(Table table, List<Column> compared) {
        this.table = table;
        this.rowText = "row(" + compared.stream().map(c -> "t." + c.quoted()).collect(Collectors.joining(", "))
                + ")::text";
        this.keyText = table.hasPrimaryKey()
                ? (table.primaryKey().size() == 1 ? "t." + TableName.quote(table.primaryKey().get(0)) + "::text"
                        : "row(" + table.primaryKey().stream().map(k -> "t." + TableName.quote(k))
                                .collect(Collectors.joining(", ")) + ")::text")
                : rowText;
        this.rowHash = ColumnHash.combined("t", compared, 0);
        if (table.hasPrimaryKey()) {
            List<Column> key = table.primaryKey().stream()
                    .map(k -> compared.stream().filter(c -> c.name().equals(k)).findFirst()
                            .orElse(new Column(k, "text", false)))
                    .toList();
            this.bucket = "(" + ColumnHash.combined("t", key, KEY_SEED) + ") & " + (BUCKETS - 1);
        } else {
            this.bucket = "(" + rowHash + ") & " + (BUCKETS - 1);
        }
    }

    /** The key of a row as text, over alias {@code t}: what differences name. */
    String keyText() {
        return keyText;
    }

    private String bucket() {
        return "(" + bucket + ")";
    }

    /**
     * Per bucket: row count and the sum of 64-bit row hashes; sums are order-free, as a multiset needs, and summed
     * as bigints the server adds them in 128 bits, without numeric's cost. The planner cannot know there are only
     * {@link #BUCKETS} groups and would sort the whole table: hashing the groups is several times faster.
     */
    Map<Integer, String> buckets(Connection connection) throws SQLException {
        // Without a key the bucket is the row hash's own low bits: computed once per row (offset 0 keeps the
        // planner from inlining the subquery and computing it twice).
        String sql = table.hasPrimaryKey()
                ? "select " + bucket() + ", count(*)::text || ':' || sum(" + rowHash + ")::text from only "
                        + table.name().quoted() + " t group by 1"
                : "select h & " + (BUCKETS - 1) + ", count(*)::text || ':' || sum(h)::text from (select " + rowHash
                        + " as h from only " + table.name().quoted() + " t offset 0) r group by 1";
        Map<Integer, String> buckets = new HashMap<>();
        try (Statement settings = connection.createStatement()) {
            settings.execute("set local enable_sort = off");
        }
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                buckets.put(rows.getInt(1), rows.getString(2));
            }
        }
        return buckets;
    }

    /** Key → row hash (tables with a key), or row hash → how many times it occurs (tables without), in buckets. */
    Map<String, String> rows(Connection connection, Set<Integer> buckets) throws SQLException {
        String sql = table.hasPrimaryKey()
                ? "select " + keyText + ", md5(" + rowText + ") from only " + table.name().quoted() + " t where "
                        + bucket() + " = any(?)"
                : "select md5(" + rowText + "), count(*)::text from only " + table.name().quoted() + " t where "
                        + bucket() + " = any(?) group by 1";
        Map<String, String> rows = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Array array = connection.createArrayOf("int4", buckets.toArray());
            statement.setArray(1, array);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.put(result.getString(1), result.getString(2));
                }
            }
        }
        return rows;
    }

    /** Key → row hash for just these keys (a re-check). */
    Map<String, String> rowsWithKeys(Connection connection, Set<String> keys) throws SQLException {
        String sql = "select " + keyText + ", md5(" + rowText + ") from only " + table.name().quoted() + " t where "
                + keyText + " = any(?)";
        Map<String, String> rows = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setArray(1, connection.createArrayOf("text", keys.toArray()));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.put(result.getString(1), result.getString(2));
                }
            }
        }
        return rows;
    }

    long count(Map<Integer, String> buckets) {
        return buckets.values().stream().mapToLong(v -> Long.parseLong(v.substring(0, v.indexOf(':')))).sum();
    }
}
