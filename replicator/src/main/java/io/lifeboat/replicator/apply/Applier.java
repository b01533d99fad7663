package io.lifeboat.replicator.apply;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.route.ChangeKind;
import io.lifeboat.replicator.route.RowChange;
import io.lifeboat.replicator.route.SourceTransaction;
import io.lifeboat.replicator.schema.Column;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Applies whole master transactions to the standby: a group of them per standby transaction, together with the
 * applied position, so the standby is always at a master commit point and a replay after a crash is skipped
 * exactly. Values arrive as text and are cast to the standby column's type in SQL; rows go in as arrays through
 * {@code unnest}, so one statement applies a whole run of rows.
 */
public final class Applier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Applier.class);
    private final String slot;
    private final Connection standby;
    private final int maxRowsPerStatement;
    private final PausedTables paused;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    // Forgotten from the replicator's schedule thread when a paused table resumes.
    private final Map<TableName, Map<String, Column>> columns = new ConcurrentHashMap<>();
    private final Map<TableName, List<String>> primaryKeys = new ConcurrentHashMap<>();
    private Lsn applied;

    /** @param standby a connection used by this applier alone */
    public Applier(String slot, Connection standby, int maxRowsPerStatement) throws SQLException {
        this(slot, standby, maxRowsPerStatement, new PausedTables());
    }

    /** @param paused tables whose changes are passed over (the position still moves past them) */
    public Applier(String slot, Connection standby, int maxRowsPerStatement, PausedTables paused) throws SQLException {
        this.slot = slot;
        this.paused = paused;
        this.standby = standby;
        this.maxRowsPerStatement = maxRowsPerStatement;
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

    /**
     * Applies the transactions above the applied position, in one standby transaction; nothing of them on failure.
     * The group's net effect goes in first, a few bulk statements per table; if the standby's own constraints
     * object to that order (a unique value moved between rows, a foreign key), the group is applied again change
     * by change in master order.
     */
    public Result apply(List<SourceTransaction> group) throws SQLException {
        List<SourceTransaction> fresh = group.stream().filter(t -> t.commitLsn().isAfter(applied)).toList();
        if (fresh.isEmpty()) {
            return new Result(0, group.size(), 0, applied);
        }
        try {
            long rows;
            try {
                rows = applyNetEffect(fresh);
            } catch (SQLException e) {
                if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                    throw e;
                }
                standby.rollback();
                log.debug("net-effect apply hit {} ({}); applying the group in master order", e.getSQLState(),
                        e.getMessage());
                rows = applyInOrder(fresh);
            }
            SourceTransaction last = fresh.get(fresh.size() - 1);
            AppliedPosition.advance(standby, slot, last.commitLsn(), last.transactionId());
            standby.commit();
            applied = last.commitLsn();
            return new Result(fresh.size(), group.size() - fresh.size(), rows, applied);
        } catch (SQLException | RuntimeException e) {
            standby.rollback();
            throw e;
        }
    }

    private long applyNetEffect(List<SourceTransaction> transactions) throws SQLException {
        long rows = 0;
        NetChanges net = new NetChanges();
        for (SourceTransaction transaction : transactions) {
            for (RowChange change : transaction.changes()) {
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

    private long applyInOrder(List<SourceTransaction> transactions) throws SQLException {
        long rows = 0;
        ChangeRun run = null;
        for (SourceTransaction transaction : transactions) {
            for (RowChange change : transaction.changes()) {
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

    /** Forgets what it knows of the standby's tables, after DDL there. */
    public void forgetTables() {
        columns.clear();
        primaryKeys.clear();
    }

    private void execute(ChangeRun run) throws SQLException {
        TableName table = run.table();
        Map<String, Column> tableColumns = columnsOf(table);
        for (String column : run.columns()) {
            if (!tableColumns.containsKey(column)) {
                throw SchemaDriftException.columnMissing(table, column);
            }
        }
        switch (run.shape()) {
            case TRUNCATE -> {
                try (Statement statement = standby.createStatement()) {
                    statement.execute("truncate only " + table.quoted());
                }
            }
            case UPSERT -> bulk(run, upsertSql(table, run.columns(), tableColumns), run.columns(), RowChange::values);
            case DELETE -> bulk(run, deleteSql(table, run.columns(), tableColumns), run.columns(), RowChange::key);
            case UPDATE_SOME_COLUMNS -> updateSomeColumns(run.rows().get(0), tableColumns);
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

    private String upsertSql(TableName table, List<String> names, Map<String, Column> tableColumns) {
        List<String> key = primaryKeyOf(table);
        String columnList = names.stream().map(TableName::quote).collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("insert into ").append(table.quoted()).append(" (").append(columnList)
                .append(") select ").append(casts(names, tableColumns)).append(" from ").append(unnest(names));
        List<String> others = names.stream().filter(n -> !key.contains(n)).toList();
        sql.append(" on conflict (").append(key.stream().map(TableName::quote).collect(Collectors.joining(", ")))
                .append(others.isEmpty() ? ") do nothing" : ") do update set ");
        sql.append(others.stream().map(n -> TableName.quote(n) + " = excluded." + TableName.quote(n))
                .collect(Collectors.joining(", ")));
        return sql.toString();
    }

    private static String deleteSql(TableName table, List<String> names, Map<String, Column> tableColumns) {
        StringBuilder sql = new StringBuilder("delete from ").append(table.quoted()).append(" t using ")
                .append(unnest(names)).append(" where ");
        for (int i = 0; i < names.size(); i++) {
            sql.append(i > 0 ? " and " : "").append("t.").append(TableName.quote(names.get(i))).append(" = u.v")
                    .append(i + 1).append("::").append(tableColumns.get(names.get(i)).type());
        }
        return sql.toString();
    }

    /** An update that left TOASTed columns out: those keep their standby value, so only the others are set. */
    private void updateSomeColumns(RowChange change, Map<String, Column> tableColumns) throws SQLException {
        List<String> key = primaryKeyOf(change.table());
        List<String> set = change.values().keySet().stream().filter(n -> !key.contains(n)).sorted().toList();
        if (set.isEmpty()) {
            return;
        }
        String sql = "update " + change.table().quoted() + " set "
                + set.stream().map(n -> TableName.quote(n) + " = ?::" + tableColumns.get(n).type())
                        .collect(Collectors.joining(", "))
                + " where " + key.stream().map(n -> TableName.quote(n) + " = ?::" + tableColumns.get(n).type())
                        .collect(Collectors.joining(" and "));
        PreparedStatement statement = prepared(sql);
        int i = 1;
        for (String name : set) {
            statement.setString(i++, change.values().get(name));
        }
        for (String name : key) {
            statement.setString(i++, change.key().get(name));
        }
        statement.executeUpdate();
    }

    private static String casts(List<String> names, Map<String, Column> tableColumns) {
        List<String> casts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            casts.add("u.v" + (i + 1) + "::" + tableColumns.get(names.get(i)).type());
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

    private Map<String, Column> columnsOf(TableName table) throws SQLException {
        Map<String, Column> known = columns.get(table);
        if (known == null) {
            Optional<Table> found = TableCatalog.find(standby, table);
            if (found.isEmpty()) {
                throw new SchemaDriftException(table, "table missing on standby");
            }
            known = found.get().writableColumns().stream()
                    .collect(Collectors.toMap(Column::name, Function.identity()));
            columns.put(table, known);
            primaryKeys.put(table, found.get().primaryKey());
        }
        return known;
    }

    private List<String> primaryKeyOf(TableName table) {
        return primaryKeys.getOrDefault(table, List.of());
    }

    /** What one {@link #apply} did. */
    public record Result(int appliedTransactions, int skippedTransactions, long rows, Lsn position) {
    }
}
