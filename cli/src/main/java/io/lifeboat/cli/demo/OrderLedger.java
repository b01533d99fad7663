package io.lifeboat.cli.demo;

import io.lifeboat.core.db.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The demo's application: it places one order per transaction on the master and remembers, outside every database,
 * each committed order id with two WAL positions around its commit: one read inside the transaction before COMMIT
 * (the commit record comes after it) and one read after COMMIT returned (the commit record ends before it). Orders
 * are placed one after another, so a recovered copy that claims master position C must hold every order whose
 * {@code after} is at or below C. When the master goes away the writer just stops: a COMMIT that never returned was
 * never promised to anyone.
 */
public final class OrderLedger {
    /** One committed order: its id, the WAL positions around its commit, and when its COMMIT returned. */
    public record Entry(long id, Lsn before, Lsn after, long committedAtMillis) {
    }

    /** What a recovered copy claiming a position holds of what was committed, and what it lost after it. */
    public record Proof(int mustHave, List<Long> missing, int lostAfter, double lostSeconds) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private volatile Thread thread;
    private volatile boolean stop;
    private volatile SQLException lastError;

    /** Starts placing orders through connections from {@code master}. */
    public synchronized void start(Supplier<Connection> master) {
        stop = false;
        Thread writer = new Thread(() -> write(master), "demo-order-writer");
        writer.setDaemon(true);
        thread = writer;
        writer.start();
    }

    private void write(Supplier<Connection> master) {
        try (Connection connection = master.get(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            while (!stop) {
                long id;
                Lsn before;
                try (ResultSet row = statement.executeQuery("INSERT INTO orders (customer_id, total) VALUES"
                        + " (1 + (random() * 999)::int, round((random() * 500)::numeric, 2))"
                        + " RETURNING id, pg_current_wal_insert_lsn()")) {
                    row.next();
                    id = row.getLong(1);
                    before = Lsn.parse(row.getString(2));
                }
                connection.commit();
                long committedAt = System.currentTimeMillis();
                Lsn after;
                try (ResultSet row = statement.executeQuery("SELECT pg_current_wal_insert_lsn()")) {
                    row.next();
                    after = Lsn.parse(row.getString(1));
                }
                connection.commit();
                record(new Entry(id, before, after, committedAt));
                Thread.sleep(5);
            }
        } catch (SQLException e) {
            lastError = e;
        } catch (RuntimeException e) {
            lastError = new SQLException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void record(Entry entry) {
        entries.add(entry);
    }

    /** True while the writer is placing orders (it stops on its own once the master is gone). */
    public boolean writing() {
        Thread writer = thread;
        return writer != null && writer.isAlive();
    }

    /** Why the writer stopped on its own, if it did. */
    public SQLException lastError() {
        return lastError;
    }

    /** Stops the writer and waits up to 30 s for it. */
    public void stop() throws InterruptedException {
        stop = true;
        Thread writer = thread;
        if (writer != null) {
            writer.join(30_000);
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long maxId() {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).id();
    }

    /** Waits until {@code count} more orders are committed, up to {@code seconds}. */
    public void awaitMore(int count, int seconds) throws InterruptedException {
        int target = size() + count;
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (size() < target) {
            if (System.nanoTime() > deadline || !writing()) {
                throw new IllegalStateException("the application did not commit " + count + " orders in " + seconds
                        + " s" + (lastError == null ? "" : ": " + lastError.getMessage()));
            }
            Thread.sleep(10);
        }
    }

    /** Checks a copy claiming master position {@code claimed}, holding the order ids {@code present}. */
    public synchronized Proof prove(Lsn claimed, Set<Long> present) {
        List<Long> missing = new ArrayList<>();
        int mustHave = 0;
        int lost = 0;
        long lastHeld = Long.MIN_VALUE;
        long lastLost = Long.MIN_VALUE;
        for (Entry entry : entries) {
            if (entry.after().compareTo(claimed) <= 0) {
                mustHave++;
                lastHeld = Math.max(lastHeld, entry.committedAtMillis());
                if (!present.contains(entry.id())) {
                    missing.add(entry.id());
                }
            } else if (!present.contains(entry.id())) {
                lost++;
                lastLost = Math.max(lastLost, entry.committedAtMillis());
            }
        }
        // The window of writes lost: from the last commit the copy holds to the last one the application saw.
        double lostSeconds = lost == 0 || lastHeld == Long.MIN_VALUE ? 0 : (lastLost - lastHeld) / 1000.0;
        return new Proof(mustHave, missing, lost, lostSeconds);
    }

    /** Every order id in the database behind {@code connection}. */
    public static Set<Long> ids(Connection connection) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id FROM orders")) {
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
        }
        return ids;
    }
}
