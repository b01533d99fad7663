package io.lifeboat.replicator;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.SslMode;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.postgresql.ds.PGSimpleDataSource;

/** A master and a standby cluster, each with database {@code app}; the standby has the catalog schema. */
public final class ClusterPair implements AutoCloseable {
    public final PostgresCluster master;
    public final PostgresCluster standby;

    public ClusterPair() {
        master = PostgresCluster.builder().start();
        try {
            standby = PostgresCluster.builder().start();
        } catch (RuntimeException e) {
            master.close();
            throw e;
        }
        master.createDatabase("app");
        standby.createDatabase("app");
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(standby.jdbcUrl("app"));
        ds.setUser(standby.superuser());
        new CatalogMigrator(ds).migrate();
    }

    /** Runs the same DDL on both servers, as an operator sets up the standby's schema. */
    public void schema(String ddl) {
        master.execute("app", ddl);
        standby.execute("app", ddl);
    }

    public static ConnectionConfig config(PostgresCluster cluster) {
        return new ConnectionConfig(cluster.host(), cluster.port(), "app", cluster.superuser(), Optional.empty(),
                Optional.empty(), SslMode.DISABLE, Duration.ofSeconds(5));
    }

    /** Every row of a query as text, for comparing the two servers. */
    public static List<String> rows(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect("app"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            int width = r.getMetaData().getColumnCount();
            while (r.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= width; i++) {
                    row.append(i > 1 ? "|" : "").append(r.getString(i));
                }
                rows.add(row.toString());
            }
            return rows;
        } catch (SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    @Override
    public void close() {
        try {
            master.close();
        } finally {
            standby.close();
        }
    }
}
