package io.lifeboat.recovery.sql;

import io.lifeboat.core.error.LifeboatException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** SQL over one JDBC connection (autocommit), booleans as {@code t}/{@code f} like psql prints them. */
public final class JdbcConsole implements SqlConsole {
    private final Connection connection;
    private final String what;

    /** @param what names the server in messages, e.g. {@code standby 10.0.0.6:5432} */
    public JdbcConsole(Connection connection, String what) {
        this.connection = connection;
        this.what = what;
    }

    @Override
    public List<List<String>> rows(String sql) {
        try (Statement statement = connection.createStatement()) {
            List<List<String>> rows = new ArrayList<>();
            if (!statement.execute(sql)) {
                return rows;
            }
            try (ResultSet result = statement.getResultSet()) {
                int width = result.getMetaData().getColumnCount();
                while (result.next()) {
                    List<String> row = new ArrayList<>(width);
                    for (int i = 1; i <= width; i++) {
                        Object value = result.getObject(i);
                        row.add(value == null ? null : value instanceof Boolean b ? (b ? "t" : "f") : result.getString(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new LifeboatException("query on " + what + " failed (" + e.getMessage() + ")", e);
        }
    }
}
