package io.lifeboat.replicator.setup;

import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/** The master's publication: exactly the pushdelta tables, for every operation including TRUNCATE. */
public final class Publication {
    private Publication() {
    }

    /** Creates the publication, or sets its table list to {@code tables} when it exists. */
    public static void ensure(Connection master, String name, List<Table> tables) throws SQLException {
        String tableList = tables.stream().map(Table::name).map(TableName::quoted).collect(Collectors.joining(", "));
        String quotedName = TableName.quote(name);
        try (Statement statement = master.createStatement()) {
            if (!exists(master, name)) {
                statement.execute("create publication " + quotedName
                        + (tables.isEmpty() ? "" : " for table " + tableList)
                        + " with (publish = 'insert, update, delete, truncate')");
            } else if (tables.isEmpty()) {
                statement.execute("alter publication " + quotedName + " set (publish = 'insert, update, delete, truncate')");
                for (TableName published : published(master, name)) {
                    statement.execute("alter publication " + quotedName + " drop table " + published.quoted());
                }
            } else {
                statement.execute("alter publication " + quotedName + " set table " + tableList);
            }
        }
    }

    static boolean exists(Connection master, String name) throws SQLException {
        try (PreparedStatement statement = master.prepareStatement("select 1 from pg_publication where pubname = ?")) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        }
    }

    public static List<TableName> published(Connection master, String name) throws SQLException {
        try (PreparedStatement statement = master.prepareStatement(
                "select schemaname, tablename from pg_publication_tables where pubname = ? order by 1, 2")) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                List<TableName> tables = new java.util.ArrayList<>();
                while (rows.next()) {
                    tables.add(new TableName(rows.getString(1), rows.getString(2)));
                }
                return tables;
            }
        }
    }
}
