package io.lifeboat.replicator.validate;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.apply.AppliedPosition;
import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares tables between master and standby while replication runs, without locking anything. The two sides are
 * read in snapshots taken at slightly different master points, so rows that changed in between can differ for a
 * moment: every suspect key is read again on the master, and again on the standby once it has applied past the
 * point of that read, a few times over; only what keeps differing is reported.
 */
public final class Validator {
    private static final int RECHECKS = 5;
    /** Past this many differing buckets the rows are not listed: memory stays bounded, and a copy is the fix. */
    private static final int BROAD_BUCKETS = RowHashes.BUCKETS / 8;
    private static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(30);
    private static final Duration IDLE_SLOT_LIMIT = Duration.ofSeconds(3);
    private static final Logger log = LoggerFactory.getLogger(Validator.class);

    private final DataSource master;
    private final DataSource standby;
    private final String slot;

    public Validator(DataSource master, DataSource standby, String slot) {
        this.master = master;
        this.standby = standby;
        this.slot = slot;
    }

    public TableDifference compare(Table table) throws SQLException, InterruptedException {
        Optional<Table> onStandby;
        try (Connection s = standby.getConnection()) {
            onStandby = TableCatalog.find(s, table.name());
        }
        if (onStandby.isEmpty()) {
            try (Connection m = master.getConnection(); Statement statement = m.createStatement();
                 ResultSet count = statement.executeQuery("select count(*) from only " + table.name().quoted())) {
                count.next();
                return TableDifference.tableMissing(table.name().toString(), count.getLong(1));
            }
        }
        List<String> schema = columnDifferences(table, onStandby.get());
        // A broad difference can be lag under a heavy write load: compare again once the standby has applied past
        // the point the master was read at, and report it only when it persists.
        for (int pass = 1; ; pass++) {
            BucketPass result = bucketPass(table);
            if (result.readAt() == null || pass >= RECHECKS || !awaitApplied(result.readAt())) {
                return result.difference().withSchema(schema);
            }
        }
    }

    /**
     * Columns one side has and the other lacks: rows are compared on the columns both have, so a column the master
     * dropped, whose stale values the standby keeps, would otherwise pass as in sync.
     */
    private static List<String> columnDifferences(Table onMaster, Table onStandby) {
        List<String> differences = new ArrayList<>();
        Set<String> standbyColumns = new HashSet<>(onStandby.columns().stream().map(Column::name).toList());
        Set<String> masterColumns = new HashSet<>(onMaster.columns().stream().map(Column::name).toList());
        onMaster.columns().stream().filter(c -> !standbyColumns.contains(c.name()))
                .forEach(c -> differences.add("column " + c.name() + " missing on standby"));
        onStandby.columns().stream().filter(c -> !masterColumns.contains(c.name()))
                .forEach(c -> differences.add("column " + c.name() + " exists only on standby"));
        return differences;
    }

    /** One comparison; {@code readAt} is set when the difference was broad, so it is worth a second look. */
    private record BucketPass(TableDifference difference, Lsn readAt) {
    }

    private BucketPass bucketPass(Table table) throws SQLException, InterruptedException {
        List<Column> compared;
        Map<Integer, String> masterBuckets;
        Map<Integer, String> standbyBuckets;
        Map<String, String> masterRows = Map.of();
        Map<String, String> standbyRows = Map.of();
        try (Connection m = snapshot(master); Connection s = snapshot(standby)) {
            compared = comparedColumns(table, s);
            RowHashes hashes = new RowHashes(table, compared);
            // Both servers hash at once: each side is one scan, and they run on different servers.
            java.util.concurrent.CompletableFuture<Map<Integer, String>> onStandby =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return hashes.buckets(s);
                        } catch (SQLException e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            masterBuckets = hashes.buckets(m);
            try {
                standbyBuckets = onStandby.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof SQLException sql) {
                    throw sql;
                }
                throw e;
            }
            Set<Integer> differing = new HashSet<>(masterBuckets.keySet());
            differing.addAll(standbyBuckets.keySet());
            differing.removeIf(b -> masterBuckets.getOrDefault(b, "").equals(standbyBuckets.getOrDefault(b, "")));
            if (differing.size() > BROAD_BUCKETS) {
                Lsn readAt = currentLsn(m);
                m.commit();
                s.commit();
                return new BucketPass(TableDifference.broad(table.name().toString(), hashes.count(masterBuckets),
                        hashes.count(standbyBuckets), differing.size()), readAt);
            }
            if (!differing.isEmpty()) {
                masterRows = hashes.rows(m, differing);
                standbyRows = hashes.rows(s, differing);
            }
            m.commit();
            s.commit();
            long rows = hashes.count(masterBuckets);
            if (differing.isEmpty()) {
                return new BucketPass(new TableDifference(table.name().toString(), rows, List.of(), List.of(),
                        List.of()), null);
            }
            return new BucketPass(table.hasPrimaryKey()
                    ? recheckKeys(table, hashes, masterRows, standbyRows, rows)
                    : multisetDifference(table, masterRows, standbyRows, rows), null);
        }
    }

    /** Beyond this many differing keys a whole copy is cheaper and simpler than fixing rows one by one. */
    public static final int ROW_REPAIR_LIMIT = 1000;

    /**
     * Makes the standby's table equal to the master's: just the differing rows when the table has a key and few
     * differ (delete them, then COPY the master's rows with those keys, in one standby transaction), else the
     * whole table. Streaming may go on meanwhile; its later changes are applied on top.
     *
     * @return what was done, for the operator
     */
    public String repair(Table table, TableDifference difference) throws SQLException {
        if (!difference.schema().isEmpty()) {
            // Rows cannot be made equal in a table that differs itself; sync run pauses it with the fix, and once
            // the standby's table is fixed it copies it again.
            return "not repaired: the standby's table itself differs (" + String.join("; ", difference.schema())
                    + "); sync run adds a column the master added as nullable, and otherwise pauses the table with"
                    + " the fix (see sync status) and copies it again once the standby is fixed";
        }
        List<String> keys = new ArrayList<>(difference.changed());
        keys.addAll(difference.missing());
        keys.addAll(difference.extra());
        if (!table.hasPrimaryKey() || difference.broad() > 0 || keys.size() > ROW_REPAIR_LIMIT) {
            long rows = io.lifeboat.replicator.fullcopy.FullcopyRound.run(List.of(table), master, standby);
            return "copied again from the master (" + rows + " rows)";
        }
        String keyText;
        try (Connection s = standby.getConnection()) {
            keyText = new RowHashes(table, comparedColumns(table, s)).keyText();
        }
        String keyList = keys.stream().map(k -> "'" + k.replace("'", "''") + "'")
                .collect(java.util.stream.Collectors.joining(", ", "array[", "]::text[]"));
        try (Connection m = snapshot(master); Connection s = standby.getConnection()) {
            s.setAutoCommit(false);
            try (Statement statement = s.createStatement()) {
                statement.execute("set local standard_conforming_strings = on");
                statement.execute("delete from only " + table.name().quoted() + " t where " + keyText
                        + " = any(" + keyList + ")");
                try (Statement onMaster = m.createStatement()) {
                    onMaster.execute("set local standard_conforming_strings = on");
                }
                long copied = io.lifeboat.replicator.fullcopy.TableCopier.appendWhere(table,
                        keyText + " = any(" + keyList + ")", m, s);
                s.commit();
                m.commit();
                return "repaired " + keys.size() + " keys (" + copied + " rows copied from the master)";
            } catch (SQLException | RuntimeException e) {
                s.rollback();
                throw e;
            }
        }
    }

    /**
     * Columns both sides have, in the master's order; generated ones included (each side computes them). A column
     * typed differently on the two sides is compared by its text, the one form both sides can hash alike.
     */
    private static List<Column> comparedColumns(Table table, Connection standbyConnection) throws SQLException {
        Optional<Table> onStandby = TableCatalog.find(standbyConnection, table.name());
        Map<String, String> there = new HashMap<>();
        onStandby.ifPresent(t -> t.columns().forEach(c -> there.put(c.name(), c.type())));
        return table.columns().stream()
                .filter(c -> there.containsKey(c.name()))
                .map(c -> c.type().equals(there.get(c.name())) ? c : new Column(c.name(), ColumnHash.AS_TEXT, c.generated()))
                .toList();
    }

    private TableDifference recheckKeys(Table table, RowHashes hashes, Map<String, String> masterRows,
                                        Map<String, String> standbyRows, long rows)
            throws SQLException, InterruptedException {
        Set<String> suspects = differingKeys(masterRows, standbyRows);
        for (int round = 0; round < RECHECKS && !suspects.isEmpty(); round++) {
            Map<String, String> onMaster;
            Lsn readAt;
            try (Connection m = snapshot(master)) {
                readAt = currentLsn(m);
                onMaster = hashes.rowsWithKeys(m, suspects);
                m.commit();
            }
            boolean caughtUp = awaitApplied(readAt);
            Map<String, String> onStandby;
            try (Connection s = snapshot(standby)) {
                onStandby = hashes.rowsWithKeys(s, suspects);
                s.commit();
            }
            Set<String> still = differingKeys(onMaster, onStandby);
            still.retainAll(suspects);
            masterRows = onMaster;
            standbyRows = onStandby;
            suspects = still;
            if (!caughtUp) {
                break;
            }
        }
        List<String> changed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        for (String key : new TreeSet<>(suspects)) {
            if (!standbyRows.containsKey(key)) {
                missing.add(key);
            } else if (!masterRows.containsKey(key)) {
                extra.add(key);
            } else {
                changed.add(key);
            }
        }
        return new TableDifference(table.name().toString(), rows, changed, missing, extra);
    }

    private static Set<String> differingKeys(Map<String, String> a, Map<String, String> b) {
        Set<String> keys = new HashSet<>(a.keySet());
        keys.addAll(b.keySet());
        keys.removeIf(k -> a.containsKey(k) && a.get(k).equals(b.get(k)));
        return keys;
    }

    /** Rows without a key are compared as multisets: how many copies of each distinct row each side has. */
    private static TableDifference multisetDifference(Table table, Map<String, String> masterRows,
                                                      Map<String, String> standbyRows, long rows) {
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        Set<String> hashes = new TreeSet<>(masterRows.keySet());
        hashes.addAll(standbyRows.keySet());
        for (String hash : hashes) {
            long onMaster = Long.parseLong(masterRows.getOrDefault(hash, "0"));
            long onStandby = Long.parseLong(standbyRows.getOrDefault(hash, "0"));
            for (long i = onStandby; i < onMaster; i++) {
                missing.add("row md5 " + hash.substring(0, 8));
            }
            for (long i = onMaster; i < onStandby; i++) {
                extra.add("row md5 " + hash.substring(0, 8));
            }
        }
        return new TableDifference(table.name().toString(), rows, List.of(), missing, extra);
    }

    /**
     * Waits until the standby has applied {@code target}, for at most {@link #CATCH_UP_LIMIT}. When no replicator
     * has held the slot for {@link #IDLE_SLOT_LIMIT} (no {@code sync run}; a reconnect takes less), the standby
     * cannot move, and waiting would only delay the answer.
     *
     * @return whether the standby got there; if not, the caller reports what it has
     */
    private boolean awaitApplied(Lsn target) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
        long idleSince = -1;
        while (true) {
            Optional<Lsn> applied;
            try (Connection s = standby.getConnection()) {
                applied = AppliedPosition.read(s, slot);
            }
            if (applied.isPresent() && applied.get().compareTo(target) >= 0) {
                return true;
            }
            long now = System.nanoTime();
            if (slotActive()) {
                idleSince = -1;
            } else if (idleSince < 0) {
                idleSince = now;
            }
            String why = now > deadline ? "did not get there within " + CATCH_UP_LIMIT.toSeconds() + "s"
                    : idleSince >= 0 && now - idleSince > IDLE_SLOT_LIMIT.toNanos()
                            ? "no sync run holds slot " + slot : null;
            if (why != null) {
                log.warn("the standby has applied up to {}, not the master's {} ({}): reporting the differences"
                        + " seen so far", applied.map(Lsn::toString).orElse("nothing"), target, why);
                return false;
            }
            Thread.sleep(50);
        }
    }

    private boolean slotActive() throws SQLException {
        try (Connection m = master.getConnection();
             var statement = m.prepareStatement("select active from pg_replication_slots where slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }

    private static Lsn currentLsn(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("select pg_current_wal_lsn()::text")) {
            row.next();
            return Lsn.parse(row.getString(1));
        }
    }

    private static Connection snapshot(DataSource source) throws SQLException {
        Connection connection = source.getConnection();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        connection.setReadOnly(true);
        return connection;
    }

}
