package io.lifeboat.snapshotter;

import io.lifeboat.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One session committing numbered ticks as fast as it can. Ticks are committed one after another, so a consistent
 * copy holds exactly the ticks 1..n for some n, and n is at least the last tick acknowledged before the copy's point.
 */
public final class TickWriter implements AutoCloseable {
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stop;

    public TickWriter(PostgresCluster cluster) {
        cluster.execute("app", "CREATE TABLE IF NOT EXISTS ticks (id bigint PRIMARY KEY, at timestamptz DEFAULT now(),"
                + " pad text DEFAULT repeat('x', 200))");
        thread = new Thread(() -> {
            long deadline = System.nanoTime() + 10L * 60 * 1_000_000_000;
            try (Connection connection = cluster.connect("app"); Statement statement = connection.createStatement()) {
                while (!stop && System.nanoTime() < deadline) {
                    long next = acknowledged.get() + 1;
                    statement.executeUpdate("INSERT INTO ticks (id) VALUES (" + next + ")");
                    acknowledged.set(next);
                }
            } catch (SQLException | RuntimeException e) {
                failure.set(e);
            }
        }, "tick-writer");
        thread.start();
    }

    public long acknowledged() {
        return acknowledged.get();
    }

    /** Waits until at least {@code count} more ticks are acknowledged. */
    public void awaitMore(long count) throws InterruptedException {
        long target = acknowledged.get() + count;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (acknowledged.get() < target && System.nanoTime() < deadline && failure.get() == null) {
            Thread.sleep(5);
        }
    }

    public static long[] minMaxCount(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT coalesce(min(id), 0), coalesce(max(id), 0), count(*) FROM ticks")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(30_000);
        if (failure.get() != null) {
            throw new AssertionError("the tick writer failed", failure.get());
        }
    }
}
