package io.lifeboat.replicator.apply;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.route.ChangeKind;
import io.lifeboat.replicator.route.RowChange;
import io.lifeboat.replicator.route.SourceTransaction;
import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Applies master transactions to the standby, together with the applied position, so the standby is always at a
 * master commit point and a replay after a crash is skipped exactly. Small transactions come whole, a group of
 * them per standby transaction ({@link #apply}); a large one comes in pieces into one open standby transaction
 * ({@link #begin}, {@link #applyPiece}, {@link #commit}), so memory never depends on its size. Values arrive as
 * text and are cast to the standby column's type in SQL; rows go in as arrays through {@code unnest}, so one
 * statement applies a whole run of rows.
 *
 * <p>Each step runs under a savepoint: when the standby refuses a change for one table's sake, only that step is
 * undone, the {@link TableFailureHandler} pauses the table (or repairs the standby), and the step runs again
 * without it; every other table goes on, and an open large transaction keeps what it applied.
 */
public final class Applier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Applier.class);
    /** Lock conflicts and deadlocks with readers or a resync on the standby: tried again in place this often. */
    private static final int CONFLICT_ATTEMPTS = 5;
    /** Each handled failure pauses or repairs one table, so a step ends within this many tries. */
    private static final int MAX_TABLE_FAILURES = 1000;
    // In Micrometer's global registry: the service's /metrics shows them (lifeboat_replication_applied_rows_total,
    // lifeboat_replication_apply_errors_total); without a registry attached they cost next to nothing.
    private static final Counter APPLIED_ROWS = Metrics.counter("lifeboat.replication.applied.rows");
    private static final Counter APPLY_ERRORS = Metrics.counter("lifeboat.replication.apply.errors");

    private final String slot;
    private final Connection standby;
    private final int maxRowsPerStatement;
    private final PausedTables paused;
    private final TableFailureHandler onTableFailure;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    // Forgotten from the replicator's schedule thread when a paused table resumes.
    private final Map<TableName, TableShape> shapes = new ConcurrentHashMap<>();
    private Lsn applied;
    private Large large;
    // Tables whose changes may lack standby columns: the master has them too, added after those changes.
    private final Set<TableName> columnsAddedSince = ConcurrentHashMap.newKeySet();

    /** @param standby a connection used by this applier alone */
    public Applier(String slot, Connection standby, int maxRowsPerStatement) throws SQLException {
        this(slot, standby, maxRowsPerStatement, new PausedTables(), TableFailureHandler.REFUSE);
    }

    /**
     * @param paused tables whose changes are passed over (the position still moves past them)
     * @param onTableFailure what to do when the standby refuses a change for one table's sake
     */
    public Applier(String slot, Connection standby, int maxRowsPerStatement, PausedTables paused,
                   TableFailureHandler onTableFailure) throws SQLException {
        this.slot = slot;
        this.paused = paused;
        this.standby = standby;
        this.maxRowsPerStatement = maxRowsPerStatement;
        this.onTableFailure = onTableFailure;
        standby.setAutoCommit(false);
        replicaRole(standby);
        this.applied = AppliedPosition.read(standby, slot).orElse(Lsn.ZERO);
        standby.commit();
    }

    /**
     * As PostgreSQL's own apply does: the standby's triggers and foreign-key checks do not fire for replicated rows
     * (they fired on the master already). Needs a superuser; without one, constraint errors fall back to master order.
     */
    private static void replicaRole(Connection standby) throws SQLException {
        try (Statement statement = standby.createStatement()) {
            statement.execute("set session_replication_role = replica");
            standby.commit();
        } catch (SQLException e) {
            standby.rollback();
            log.warn("cannot set session_replication_role = replica on standby ({}); triggers on replicated tables"
                    + " will fire there", e.getMessage());
        }
    }

    /** The master position the standby holds. */
    public Lsn applied() {
        return applied;
    }

    /** Whether a large transaction is open: its pieces are applied but not committed. */
    public boolean inLargeTransaction() {
        return large != null;
    }

    /**
     * Applies the whole transactions above the applied position, in one standby transaction; nothing of them on
     * failure. The group's net effect goes in first, a few bulk statements per table; if the standby's own
     * constraints object to that order (a unique value moved between rows, a foreign key), the group is applied
     * again change by change in master order.
     */
    public Result apply(List<SourceTransaction> group) throws SQLException {
        if (large != null) {
            throw new IllegalStateException("transaction " + large.transactionId + " is still open");
        }
        List<SourceTransaction> fresh = group.stream().filter(t -> t.commitLsn().isAfter(applied)).toList();
        if (fresh.isEmpty()) {
            return new Result(0, group.size(), 0, applied);
        }
        try {
            long rows = applyStep(fresh.stream().map(SourceTransaction::changes).toList());
            SourceTransaction last = fresh.get(fresh.size() - 1);
            AppliedPosition.advance(standby, slot, last.commitLsn(), last.transactionId());
            standby.commit();
            applied = last.commitLsn();
            APPLIED_ROWS.increment(rows);
            return new Result(fresh.size(), group.size() - fresh.size(), rows, applied);
        } catch (SQLException | RuntimeException e) {
            APPLY_ERRORS.increment();
            rollbackQuietly(e);
            throw e;
        }
    }

    /**
     * Opens a large transaction, whose commit position is not known yet. One applied before (the slot can trail the
     * applied position after a crash) is recognised by its id and its pieces are passed over.
     */
    public void begin(long transactionId) throws SQLException {
        if (large != null) {
            throw new IllegalStateException("transaction " + large.transactionId + " is still open");
        }
        boolean replay;
        try (PreparedStatement statement = standby.prepareStatement(
                "select 1 from lifeboat.streamed_transaction where slot_name = ? and transaction_id = ?")) {
            statement.setString(1, slot);
            statement.setLong(2, transactionId);
            try (ResultSet row = statement.executeQuery()) {
                replay = row.next();
            }
        }
        large = new Large(transactionId, replay);
        if (replay) {
            log.info("transaction {} was applied before; passing over its replay", transactionId);
        }
    }

    /** Applies one piece of the open large transaction, without committing; returns the rows applied so far. */
    public long applyPiece(List<RowChange> changes) throws SQLException {
        Large open = openLarge();
        if (!open.replay) {
            try {
                open.rows += applyStep(List.of(changes));
            } catch (SQLException | RuntimeException e) {
                abort();
                throw e;
            }
        }
        return open.rows;
    }

    /**
     * Applies the last piece of the open large transaction and commits it with its position, or rolls everything
     * back when it turns out to be at or below the applied position (a replay).
     */
    public Result commit(SourceTransaction last) throws SQLException {
        Large open = openLarge();
        try {
            if (open.replay || !last.commitLsn().isAfter(applied)) {
                standby.rollback();
                large = null;
                return new Result(0, 1, 0, applied);
            }
            long rows = open.rows + applyStep(List.of(last.changes()));
            try (PreparedStatement statement = standby.prepareStatement("""
                    with gone as (delete from lifeboat.streamed_transaction
                                  where slot_name = ? and applied_at < now() - interval '7 days')
                    insert into lifeboat.streamed_transaction (slot_name, transaction_id, commit_lsn)
                    values (?, ?, ?::pg_lsn)
                    on conflict (slot_name, transaction_id) do update set commit_lsn = excluded.commit_lsn,
                                                                        applied_at = now()
                    """)) {
                statement.setString(1, slot);
                statement.setString(2, slot);
                statement.setLong(3, last.transactionId());
                statement.setString(4, last.commitLsn().toString());
                statement.executeUpdate();
            }
            AppliedPosition.advance(standby, slot, last.commitLsn(), last.transactionId());
            standby.commit();
            large = null;
            applied = last.commitLsn();
            APPLIED_ROWS.increment(rows);
            return new Result(1, 0, rows, applied);
        } catch (SQLException | RuntimeException e) {
            APPLY_ERRORS.increment();
            abort();
            throw e;
        }
    }

    /** Gives up the open large transaction: nothing of it stays on the standby. */
    public void abort() {
        large = null;
        rollbackQuietly(null);
    }

    private Large openLarge() {
        if (large == null) {
            throw new IllegalStateException("no large transaction is open");
        }
        return large;
    }

    private void rollbackQuietly(Exception failure) {
        try {
            standby.rollback();
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * One step (a group of whole transactions, or one piece of a large one) under a savepoint. A table the standby
     * refuses is handed to the handler and the step runs again without it; lock conflicts are tried again in place.
     */
    private long applyStep(List<List<RowChange>> changes) throws SQLException {
        int conflicts = 0;
        for (int failures = 0; ; ) {
            Savepoint step = standby.setSavepoint();
            try {
                long rows = applyNetOrInOrder(changes, step);
                standby.releaseSavepoint(step);
                return rows;
            } catch (SchemaDriftException refused) {
                standby.rollback(step);
                if (++failures > MAX_TABLE_FAILURES) {
                    throw refused;
                }
                shapes.remove(refused.table());
                APPLY_ERRORS.increment();
                onTableFailure.handle(refused, standby);
            } catch (SQLException e) {
                if (!isConflict(e) || ++conflicts >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
                standby.rollback(step);
                log.debug("apply met a lock conflict on the standby ({}); trying again", e.getSQLState());
                sleep(50L * conflicts);
            }
        }
    }

    private long applyNetOrInOrder(List<List<RowChange>> changes, Savepoint step) throws SQLException {
        try {
            return applyNetEffect(changes);
        } catch (TableRejectedException e) {
            if (!e.sqlState().startsWith("23")) {
                throw e;
            }
            standby.rollback(step);
            log.debug("net-effect apply hit {} ({}); applying in master order", e.sqlState(), e.getMessage());
            return applyInOrder(changes);
        }
    }

    private static boolean isConflict(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || "55P03".equals(state);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while applying changes", e);
        }
    }

    private long applyNetEffect(List<List<RowChange>> transactions) throws SQLException {
        long rows = 0;
        NetChanges net = new NetChanges();
        for (List<RowChange> transaction : transactions) {
            for (RowChange change : transaction) {
                if (paused.contains(change.table())) {
                    continue;
                }
                rows++;
                if (change.kind() == ChangeKind.TRUNCATE) {
                    for (ChangeRun run : net.runs(maxRowsPerStatement)) {
                        execute(run);
                    }
                    execute(ChangeRun.startingWith(change));
                } else {
                    net.add(change);
                }
            }
        }
        for (ChangeRun run : net.runs(maxRowsPerStatement)) {
            execute(run);
        }
        return rows;
    }

    private long applyInOrder(List<List<RowChange>> transactions) throws SQLException {
        long rows = 0;
        ChangeRun run = null;
        for (List<RowChange> transaction : transactions) {
            for (RowChange change : transaction) {
                if (paused.contains(change.table())) {
                    continue;
                }
                rows++;
                if (run != null && run.offer(change, maxRowsPerStatement)) {
                    continue;
                }
                if (run != null) {
                    execute(run);
                }
                run = ChangeRun.startingWith(change);
            }
        }
        if (run != null) {
            execute(run);
        }
        return rows;
    }

    /**
     * Changes of {@code table} written before a column was added on the master arrive without it; the master and
     * standby agree on the table now, so such rows are applied without it instead of counting as drift.
     */
    public void allowColumnsAbsentFromChanges(TableName table) {
        columnsAddedSince.add(table);
    }

    /** Forgets what it knows of the standby's tables, after DDL there. */
    public void forgetTables() {
        shapes.clear();
    }

    private void execute(ChangeRun run) throws SQLException {
        TableName table = run.table();
        TableShape shape = shapeOf(table);
        for (String column : run.columns()) {
            if (!shape.columns.containsKey(column)) {
                throw SchemaDriftException.columnMissing(table, column);
            }
        }
        if (run.shape() == ChangeRun.Shape.UPSERT && run.columns().size() < shape.columns.size()
                && !columnsAddedSince.contains(table)) {
            // Whole rows without a column the standby writes: dropped on the master, kept stale here otherwise.
            for (String column : shape.columns.keySet()) {
                if (!run.columns().contains(column)) {
                    throw SchemaDriftException.columnOnlyOnStandby(table, column);
                }
            }
        }
        try {
            switch (run.shape()) {
                case TRUNCATE -> {
                    try (Statement statement = standby.createStatement()) {
                        statement.execute("truncate only " + table.quoted());
                    }
                }
                case UPSERT -> {
                    if (shape.identityAlwaysIn(run.columns())) {
                        bulk(run, identityChangedSql(table, run.columns(), shape), run.columns(), RowChange::values);
                    }
                    bulk(run, upsertSql(table, run.columns(), shape), run.columns(), RowChange::values);
                }
                case DELETE -> bulk(run, deleteSql(table, run.columns(), shape), run.columns(), RowChange::key);
                case UPDATE_SOME_COLUMNS -> updateSomeColumns(run.rows().get(0), shape);
            }
        } catch (SQLException e) {
            if (TableRejectedException.concernsTable(e)) {
                throw new TableRejectedException(table, e);
            }
            throw e;
        }
    }

    private void bulk(ChangeRun run, String sql, List<String> names, Function<RowChange, Map<String, String>> part)
            throws SQLException {
        PreparedStatement statement = prepared(sql);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String[] values = run.rows().stream().map(part).map(row -> row.get(name)).toArray(String[]::new);
            Array array = standby.createArrayOf("text", values);
            statement.setArray(i + 1, array);
        }
        statement.executeUpdate();
    }

    /** Kept open for the connection's life: the server then plans each statement shape once. */
    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = standby.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return statement;
    }

    /**
     * Identity columns {@code GENERATED ALWAYS} take the master's value only with {@code OVERRIDING SYSTEM VALUE}
     * and can never be set by an UPDATE, so they are left out of the conflict's update.
     */
    private static String upsertSql(TableName table, List<String> names, TableShape shape) {
        String columnList = names.stream().map(TableName::quote).collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("insert into ").append(table.quoted()).append(" (").append(columnList)
                .append(")").append(shape.identityAlways.isEmpty() ? "" : " overriding system value")
                .append(" select ").append(casts(names, shape)).append(" from ").append(unnest(names));
        List<String> others = names.stream()
                .filter(n -> !shape.primaryKey.contains(n) && !shape.identityAlways.contains(n)).toList();
        sql.append(" on conflict (")
                .append(shape.primaryKey.stream().map(TableName::quote).collect(Collectors.joining(", ")))
                .append(others.isEmpty() ? ") do nothing" : ") do update set ");
        sql.append(others.stream().map(n -> TableName.quote(n) + " = excluded." + TableName.quote(n))
                .collect(Collectors.joining(", ")));
        return sql.toString();
    }

    /**
     * A row whose {@code GENERATED ALWAYS} identity value changed on the master ({@code SET id = DEFAULT}) cannot
     * be updated to it: it is deleted here and inserted whole by the upsert that follows.
     */
    private static String identityChangedSql(TableName table, List<String> names, TableShape shape) {
        List<String> conditions = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String value = "u.v" + (i + 1) + "::" + shape.columns.get(name).type();
            if (shape.primaryKey.contains(name)) {
                conditions.add("t." + TableName.quote(name) + " = " + value);
            } else if (shape.identityAlways.contains(name)) {
                changed.add("t." + TableName.quote(name) + " is distinct from " + value);
            }
        }
        return "delete from " + table.quoted() + " t using " + unnest(names) + " where "
                + String.join(" and ", conditions) + " and (" + String.join(" or ", changed) + ")";
    }

    private static String deleteSql(TableName table, List<String> names, TableShape shape) {
        StringBuilder sql = new StringBuilder("delete from ").append(table.quoted()).append(" t using ")
                .append(unnest(names)).append(" where ");
        for (int i = 0; i < names.size(); i++) {
            sql.append(i > 0 ? " and " : "").append("t.").append(TableName.quote(names.get(i))).append(" = u.v")
                    .append(i + 1).append("::").append(shape.columns.get(names.get(i)).type());
        }
        return sql.toString();
    }

    /** An update that left TOASTed columns out: those keep their standby value, so only the others are set. */
    private void updateSomeColumns(RowChange change, TableShape shape) throws SQLException {
        List<String> set = change.values().keySet().stream()
                .filter(n -> !shape.primaryKey.contains(n) && !shape.identityAlways.contains(n)).sorted().toList();
        if (set.isEmpty()) {
            return;
        }
        String sql = "update " + change.table().quoted() + " set "
                + set.stream().map(n -> TableName.quote(n) + " = ?::" + shape.columns.get(n).type())
                        .collect(Collectors.joining(", "))
                + " where " + shape.primaryKey.stream()
                        .map(n -> TableName.quote(n) + " = ?::" + shape.columns.get(n).type())
                        .collect(Collectors.joining(" and "));
        PreparedStatement statement = prepared(sql);
        int i = 1;
        for (String name : set) {
            statement.setString(i++, change.values().get(name));
        }
        for (String name : shape.primaryKey) {
            statement.setString(i++, change.key().get(name));
        }
        statement.executeUpdate();
    }

    private static String casts(List<String> names, TableShape shape) {
        List<String> casts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            casts.add("u.v" + (i + 1) + "::" + shape.columns.get(names.get(i)).type());
        }
        return String.join(", ", casts);
    }

    private static String unnest(List<String> names) {
        List<String> arrays = new ArrayList<>();
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            arrays.add("?::text[]");
            aliases.add("v" + (i + 1));
        }
        return "unnest(" + String.join(", ", arrays) + ") as u(" + String.join(", ", aliases) + ")";
    }

    private TableShape shapeOf(TableName table) throws SQLException {
        TableShape known = shapes.get(table);
        if (known == null) {
            Optional<Table> found = TableCatalog.find(standby, table);
            if (found.isEmpty()) {
                throw new SchemaDriftException(table, "table missing on standby");
            }
            Map<String, Column> columns = found.get().writableColumns().stream()
                    .collect(Collectors.toMap(Column::name, Function.identity()));
            known = new TableShape(columns, found.get().primaryKey(), identityAlways(table));
            shapes.put(table, known);
        }
        return known;
    }

    private Set<String> identityAlways(TableName table) throws SQLException {
        Set<String> names = new HashSet<>();
        try (PreparedStatement statement = standby.prepareStatement("""
                select attname from pg_attribute
                where attrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass and attidentity = 'a'
                  and attnum > 0 and not attisdropped
                """)) {
            statement.setString(1, table.schema());
            statement.setString(2, table.name());
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return Set.copyOf(names);
    }

    /** What the applier needs of a standby table: writable columns, primary key, identity columns always generated. */
    private record TableShape(Map<String, Column> columns, List<String> primaryKey, Set<String> identityAlways) {
        boolean identityAlwaysIn(List<String> names) {
            for (String name : identityAlways) {
                if (names.contains(name) && !primaryKey.contains(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The open large transaction. */
    private static final class Large {
        final long transactionId;
        final boolean replay;
        long rows;

        Large(long transactionId, boolean replay) {
            this.transactionId = transactionId;
            this.replay = replay;
        }
    }

    /** What one {@link #apply} or {@link #commit} did. */
    public record Result(int appliedTransactions, int skippedTransactions, long rows, Lsn position) {
    }
}
