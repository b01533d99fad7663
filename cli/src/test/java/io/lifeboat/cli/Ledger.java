package io.lifeboat.cli;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A writer that commits one row per transaction into the master's {@code ledger} table and records, outside every
 * database (in memory and in a file), each committed id with two WAL positions around its commit: one read inside the
 * transaction before COMMIT (the commit record comes after it) and one read after COMMIT returned (the commit record
 * ends before it). Rows are written one after another, so for a recovered copy that claims master position C:
 * every entry whose {@code after} is at or below C must be there, and no entry whose {@code before} is above C may be.
 */
final class Ledger {
    record Entry(long id, Lsn before, Lsn after) {
    }

    private final Path file;
    private final List<Entry> entries = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private Thread thread;
    private volatile boolean stop;

    Ledger(Path file) {
        this.file = file;
    }

    static void createTable(PostgresCluster cluster) {
        cluster.execute("app", "CREATE TABLE ledger (id bigserial PRIMARY KEY, note text NOT NULL,"
                + " written_at timestamptz NOT NULL DEFAULT now())");
    }

    /** Starts writing into {@code master}; a write the master refuses (it was killed) just ends the writer. */
    synchronized void start(PostgresCluster master) {
        stop = false;
        thread = new Thread(() -> write(master), "ledger-writer");
        thread.start();
    }

    private void write(PostgresCluster master) {
        try (Connection connection = master.connect("app"); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            while (!stop) {
                long id;
                Lsn before;
                try (ResultSet row = statement.executeQuery("INSERT INTO ledger (note) VALUES (repeat(md5(random()::text),"
                        + " 4)) RETURNING id, pg_current_wal_insert_lsn()")) {
                    row.next();
                    id = row.getLong(1);
                    before = Lsn.parse(row.getString(2));
                }
                connection.commit();
                Lsn after;
                try (ResultSet row = statement.executeQuery("SELECT pg_current_wal_insert_lsn()")) {
                    row.next();
                    after = Lsn.parse(row.getString(1));
                }
                connection.commit();
                record(new Entry(id, before, after));
                Thread.sleep(5);
            }
        } catch (SQLException | RuntimeException e) {
            if (!stop) {
                failure.set(e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void record(Entry entry) {
        entries.add(entry);
        try {
            Files.writeString(file, entry.id() + " " + entry.before() + " " + entry.after() + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Stops the writer and waits for it. */
    void stop() throws InterruptedException {
        stop = true;
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.join(30_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("the ledger writer failed", failure.get());
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long maxId() {
        return entries.stream().mapToLong(Entry::id).max().orElse(0);
    }

    void awaitMore(int count) throws InterruptedException {
        int target = size() + count;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (size() < target) {
            if (System.nanoTime() > deadline || failure.get() != null) {
                throw new AssertionError("the ledger did not grow by " + count, failure.get());
            }
            Thread.sleep(10);
        }
    }

    /** What a copy claiming {@code claimed} must hold and must not hold, against the ids it does hold. */
    synchronized Check check(Lsn claimed, Set<Long> present) {
        List<Long> missing = new ArrayList<>();
        List<Long> unexpected = new ArrayList<>();
        int mustHave = 0;
        for (Entry entry : entries) {
            if (entry.after().compareTo(claimed) <= 0) {
                mustHave++;
                if (!present.contains(entry.id())) {
                    missing.add(entry.id());
                }
            } else if (entry.before().compareTo(claimed) > 0 && present.contains(entry.id())) {
                unexpected.add(entry.id());
            }
        }
        return new Check(mustHave, missing, unexpected);
    }

    record Check(int mustHave, List<Long> missing, List<Long> unexpected) {
    }

    static Set<Long> ids(Connection connection) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id FROM ledger")) {
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
        }
        return ids;
    }
}
