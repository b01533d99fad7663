package io.lifeboat.cli;

import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.BackgroundReplication;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.replicator.status.StatusReader;
import io.lifeboat.testkit.PostgresCluster;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start an embedded master and standby, replicate a small shop schema (one table without a",
            "primary key) under a write load, show sync status, and prove row by row that the standby matches.",
            "Needs local PostgreSQL binaries; leaves nothing behind. Exit 0 when the standby matches."})
final class DemoCommand implements Callable<Integer> {
    private static final String SCHEMA = """
            create table customers (id int primary key, name text not null, email text, since date);
            create table orders (id bigint primary key, customer_id int not null, total numeric(12,2),
                                 items jsonb, placed_at timestamptz default now());
            create table page_views (customer_id int, path text, seen_at timestamptz default now());
            """;
    /** Every table ordered by all its columns, so the comparison does not depend on physical order. */
    private static final Map<String, String> TABLES = Map.of(
            "public.customers", "select * from customers order by id",
            "public.orders", "select * from orders order by id",
            "public.page_views", "select * from page_views order by customer_id, path, seen_at");

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "10", description = "How long the write load runs (default 10).")
    int seconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("lifeboat-demo-");
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            say(out, "started an embedded master on 127.0.0.1:" + master.port() + " and standby on 127.0.0.1:"
                    + standby.port() + " (PostgreSQL " + master.majorVersion() + ")");
            for (PostgresCluster cluster : List.of(master, standby)) {
                cluster.createDatabase("shop");
                cluster.execute("shop", SCHEMA);
            }
            master.execute("shop", """
                    insert into customers select g, 'customer ' || g, 'c' || g || '@example.com', date '2020-01-01' + g
                    from generate_series(1, 2000) g;
                    insert into orders select g, 1 + g % 2000, g * 0.75, jsonb_build_object('sku', g % 97)
                    from generate_series(1, 5000) g;
                    insert into page_views select 1 + g % 2000, '/p/' || g % 50 from generate_series(1, 3000) g;
                    """);
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: shop, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: shop, user: postgres, sslmode: disable}
                    replication:
                      fullcopy_interval: 3s
                    """.formatted(master.port(), standby.port()));
            say(out, "config: " + config + " (page_views has no primary key: fullcopy every 3s)");
            LifeboatConfig lifeboat = ConfigLoader.load(config).config();
            try (Pools pools = new Pools(lifeboat)) {
                new CatalogMigrator(pools.standby()).migrate();
                Replicator replicator = new Replicator(lifeboat.master(), lifeboat.replication(), pools.master(),
                        pools.standby());
                BackgroundReplication replication = replicator.startInBackground();
                try {
                    long transactions = writeLoad(master, out);
                    say(out, "write load done: " + transactions + " transactions on the master; waiting for the standby");
                    boolean equal = awaitEqual(master, standby, replication);
                    try (Connection m = pools.master().getConnection(); Connection s = pools.standby().getConnection()) {
                        out.println();
                        out.print(StatusText.table(StatusReader.read(lifeboat.replication(), m, s),
                                lifeboat.replication().slot()));
                        out.println();
                    }
                    return compare(master, standby, out, equal) ? ExitCode.OK.code() : ExitCode.ERROR.code();
                } finally {
                    replication.close();
                    if (replication.failure().isPresent()) {
                        throw new IllegalStateException("replication failed", replication.failure().get());
                    }
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private long writeLoad(PostgresCluster master, PrintWriter out) throws SQLException, InterruptedException {
        Random random = new Random();
        AtomicLong orders = new AtomicLong(5000);
        long transactions = 0;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long nextReport = System.nanoTime() + 2_000_000_000L;
        try (Connection c = master.connect("shop"); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (System.nanoTime() < end) {
                int customer = 1 + random.nextInt(2000);
                s.execute("insert into orders (id, customer_id, total, items) values (" + orders.incrementAndGet()
                        + ", " + customer + ", " + random.nextInt(100_000) / 100.0 + ", '{\"sku\": " + random.nextInt(97) + "}')");
                s.execute("update customers set email = 'c" + customer + "+" + random.nextInt(1000)
                        + "@example.com' where id = " + customer);
                if (random.nextInt(10) == 0) {
                    s.execute("delete from orders where id = " + (1 + random.nextInt((int) orders.get())));
                }
                s.execute("insert into page_views (customer_id, path) values (" + customer + ", '/p/" + random.nextInt(50) + "')");
                c.commit();
                transactions++;
                if (System.nanoTime() > nextReport) {
                    say(out, "writing: " + transactions + " transactions so far");
                    nextReport += 2_000_000_000L;
                }
                Thread.sleep(1);
            }
        }
        return transactions;
    }

    private boolean awaitEqual(PostgresCluster master, PostgresCluster standby, BackgroundReplication replication)
            throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && replication.failure().isEmpty()) {
            if (TABLES.values().stream().allMatch(q -> rows(master, q).equals(rows(standby, q)))) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    private boolean compare(PostgresCluster master, PostgresCluster standby, PrintWriter out, boolean equal) {
        long total = 0;
        boolean all = true;
        for (String table : new java.util.TreeSet<>(TABLES.keySet())) {
            List<String> m = rows(master, TABLES.get(table));
            List<String> s = rows(standby, TABLES.get(table));
            int differing = 0;
            for (int i = 0; i < Math.max(m.size(), s.size()); i++) {
                if (i >= m.size() || i >= s.size() || !m.get(i).equals(s.get(i))) {
                    differing++;
                }
            }
            total += m.size();
            all &= differing == 0;
            out.println(differing == 0 ? table + ": identical (" + m.size() + " rows compared row by row)"
                    : table + ": DIFFERENT: " + differing + " of " + m.size() + " rows differ");
        }
        say(out, all && equal ? "the standby matches the master row by row (" + total + " rows)"
                : "the standby does NOT match the master");
        return all;
    }

    private static List<String> rows(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect("shop"); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> rows = new java.util.ArrayList<>();
            int width = r.getMetaData().getColumnCount();
            while (r.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= width; i++) {
                    row.append(r.getString(i)).append('\u001f');
                }
                rows.add(row.toString());
            }
            return rows;
        } catch (SQLException e) {
            return List.of("error: " + e.getMessage());
        }
    }

    private static void say(PrintWriter out, String line) {
        out.println("demo: " + line);
        out.flush();
    }
}
