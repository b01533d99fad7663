package io.lifeboat.replicator.validate;

import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Hashes of a table's rows, computed by the server so that rows never travel to Java unless they differ. Each row
 * is its columns in the master's order through their output functions; equal text means equal values.
 * Buckets split the table by a hash of the key (or of the whole row, for tables without a primary key), so a
 * difference narrows to a few buckets, and only their rows are compared one by one.
 */
final class RowHashes {
    static final int BUCKETS = 4096;

    private final Table table;
    private final String rowText;
    private final String keyText;

    RowHashes(Table table, List<Column> compared) {
        this.table = table;
        this.rowText = "row(" + compared.stream().map(c -> "t." + c.quoted()).collect(Collectors.joining(", "))
                + ")::text";
        this.keyText = table.hasPrimaryKey()
                ? (table.primaryKey().size() == 1 ? "t." + io.lifeboat.replicator.schema.TableName.quote(
                        table.primaryKey().get(0)) + "::text"
                        : "row(" + table.primaryKey().stream().map(k -> "t." + io.lifeboat.replicator.schema.TableName
                                .quote(k)).collect(Collectors.joining(", ")) + ")::text")
                : rowText;
    }

    /** The key of a row as text, over alias {@code t}: what differences name. */
    String keyText() {
        return keyText;
    }

    private String bucket() {
        return "(hashtext(" + keyText + ") & " + (BUCKETS - 1) + ")";
    }

    /**
     * Per bucket: row count and the sum of 64-bit row hashes; sums are order-free, as a multiset needs.
     * {@code hashtextextended} costs half of {@code md5} here, and a 64-bit hash per row is ample for a sum that
     * only has to tell equal buckets from different ones (differing rows are then compared with md5).
     */
    Map<Integer, String> buckets(Connection connection) throws SQLException {
        String sql = "select " + bucket() + ", count(*)::text || ':' || sum(hashtextextended(" + rowText
                + ", 0)::numeric)::text from only " + table.name().quoted() + " t group by 1";
        Map<Integer, String> buckets = new HashMap<>();
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
