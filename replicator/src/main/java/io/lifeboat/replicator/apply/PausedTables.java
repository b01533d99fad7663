package io.lifeboat.replicator.apply;

import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tables whose changes are held back because the standby's schema does not fit them, with the reason. Kept in
 * memory for the applier and in {@code lifeboat.paused_table} for {@code sync status}.
 */
public final class PausedTables {
    private final Map<TableName, String> paused = new ConcurrentHashMap<>();

    /** The tables a previous run paused: they stay paused until the standby fits them. */
    public static PausedTables load(Connection standby) throws SQLException {
        PausedTables tables = new PausedTables();
        for (Map.Entry<String, String> row : read(standby).entrySet()) {
            int dot = row.getKey().indexOf('.');
            tables.paused.put(new TableName(row.getKey().substring(0, dot), row.getKey().substring(dot + 1)),
                    row.getValue());
        }
        return tables;
    }

    /** Asked for every row applied: with no table paused, the usual case, it hashes nothing. */
    public boolean contains(TableName table) {
        return !paused.isEmpty() && paused.containsKey(table);
    }

    public Map<TableName, String> all() {
        return Map.copyOf(paused);
    }

    public void pause(Connection standby, TableName table, String reason) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement("""
                insert into lifeboat.paused_table (table_name, reason) values (?, ?)
                on conflict (table_name) do update set reason = excluded.reason
                """)) {
            statement.setString(1, table.toString());
            statement.setString(2, reason);
            statement.executeUpdate();
        }
        paused.put(table, reason);
    }

    public void resume(Connection standby, TableName table) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement(
                "delete from lifeboat.paused_table where table_name = ?")) {
            statement.setString(1, table.toString());
            statement.executeUpdate();
        }
        paused.remove(table);
    }

    /** What {@code sync status} shows: table → reason. */
    public static Map<String, String> read(Connection standby) throws SQLException {
        Map<String, String> rows = new java.util.TreeMap<>();
        try (PreparedStatement statement = standby.prepareStatement(
                "select table_name, reason from lifeboat.paused_table");
             ResultSet result = statement.executeQuery()) {
            while (result.next()) {
                rows.put(result.getString(1), result.getString(2));
            }
        }
        return rows;
    }
}
