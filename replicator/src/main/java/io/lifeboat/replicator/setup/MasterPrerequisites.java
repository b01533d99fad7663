package io.lifeboat.replicator.setup;

import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.schema.Table;
import io.lifeboat.replicator.schema.TableCatalog;
import io.lifeboat.replicator.schema.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the master must offer before {@code sync run} can replicate from it: checked first, each failure one line
 * with the fix. Besides the server's settings, a role that is not a superuser needs exactly these (found by running
 * {@code sync run} as such a role, see {@code SyncRefusalsIT}):
 * <ul>
 *   <li>the REPLICATION attribute: the slot and the stream;</li>
 *   <li>CREATE on the database: {@code create schema if not exists lifeboat} (the heartbeat) and
 *       {@code create publication} both need it, the first even when the schema exists;</li>
 *   <li>ownership of every pushdelta table (directly or through membership in the owning role), and of the
 *       publication once it exists: PostgreSQL lets only a table's owner add it to a publication, and
 *       {@code sync run} sets the publication's table list on every start;</li>
 *   <li>SELECT on every replicated table: the initial copy, fullcopy and resync read them with COPY;</li>
 *   <li>SELECT on every sequence: without it {@code pg_sequences} shows no value and the sequence would silently
 *       stay behind on the standby.</li>
 * </ul>
 */
public final class MasterPrerequisites {
    /** A client killed a moment ago keeps the slot active until its walsender notices the closed socket. */
    private static final Duration SLOT_RELEASE_WAIT = Duration.ofSeconds(2);
    /** Beyond this many objects a fix names them by schema ({@code ALL TABLES IN SCHEMA}), not one by one. */
    private static final int LISTED = 5;

    private MasterPrerequisites() {
    }

    /** The server's settings and the REPLICATION attribute; the first problem is thrown. */
    public static void check(Connection master, String slot) throws SQLException {
        List<Problem> problems = settings(master, slot);
        if (!problems.isEmpty()) {
            throw new LifeboatException(problems.get(0).message(), problems.get(0).hint(), null);
        }
    }

    /** Everything {@code sync run} needs of the master; each problem is thrown, one line each. */
    public static void checkAll(Connection master, ReplicationConfig config) throws SQLException {
        List<Problem> problems = problems(master, config);
        if (!problems.isEmpty()) {
            throw new UnmetPrerequisites(problems.stream().map(Problem::line).toList());
        }
    }

    /** Every problem with the master's settings and the configured user's privileges, one line each. */
    public static List<Problem> problems(Connection master, ReplicationConfig config) throws SQLException {
        List<Problem> problems = new ArrayList<>(settings(master, config.slot()));
        problems.addAll(privileges(master, config));
        return problems;
    }

    private static List<Problem> settings(Connection master, String slot) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        try (PreparedStatement statement = master.prepareStatement("""
                select current_setting('wal_level'),
                       (select rolreplication or rolsuper from pg_roles where rolname = current_user),
                       quote_ident(current_user),
                       current_setting('max_replication_slots')::int,
                       (select count(*) from pg_replication_slots),
                       exists (select 1 from pg_replication_slots where slot_name = ?),
                       pg_is_in_recovery(),
                       (select coalesce('belongs to database ' || quote_ident(database) || ', not to this one',
                                 'is a physical slot')
                        from pg_replication_slots where slot_name = ? and database is distinct from current_database())
                """)) {
            statement.setString(1, slot);
            statement.setString(2, slot);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                String walLevel = row.getString(1);
                if (!walLevel.equals("logical")) {
                    problems.add(new Problem("wal_level is '" + walLevel + "' on master: set wal_level = logical and"
                            + " restart PostgreSQL", null));
                }
                if (!row.getBoolean(2)) {
                    problems.add(new Problem("user " + row.getString(3) + " has no REPLICATION privilege on master",
                            "run on the master: ALTER ROLE " + row.getString(3) + " REPLICATION"));
                }
                if (row.getBoolean(7)) {
                    problems.add(new Problem("the master is in recovery (a standby itself): logical replication"
                            + " needs a primary", "check master.host"));
                }
                if (row.getString(8) != null) {
                    // Slot names are per server: this one serves another database, or physical replication.
                    problems.add(new Problem("slot " + slot + " on master " + row.getString(8),
                            "give this database its own replication.slot"));
                } else if (!row.getBoolean(6) && row.getInt(5) >= row.getInt(4)) {
                    problems.add(new Problem("no free replication slot on master (max_replication_slots = "
                            + row.getInt(4) + ", all in use)",
                            "raise max_replication_slots and restart PostgreSQL, or drop an unused slot"));
                }
            }
        }
        return problems;
    }

    /** The privileges a role that is not a superuser lacks for what {@code sync run} does on the master. */
    private static List<Problem> privileges(Connection master, ReplicationConfig config) throws SQLException {
        String user;
        String database;
        try (Statement statement = master.createStatement(); ResultSet row = statement.executeQuery("""
                select quote_ident(current_user), quote_ident(current_database()),
                       (select rolsuper from pg_roles where rolname = current_user),
                       has_database_privilege(current_database(), 'CREATE'),
                       (select pg_has_role(pubowner, 'USAGE') from pg_publication where pubname = %s),
                       (select has_schema_privilege(oid, 'USAGE') and has_schema_privilege(oid, 'CREATE')
                        from pg_namespace where nspname = 'lifeboat'),
                       (select pg_has_role(relowner, 'USAGE') from pg_class
                        where oid = to_regclass('lifeboat.heartbeat'))
                """.formatted(literal(config.publication())))) {
            row.next();
            if (row.getBoolean(3)) {
                return List.of();
            }
            user = row.getString(1);
            database = row.getString(2);
            List<Problem> problems = new ArrayList<>();
            String publication = TableName.quote(config.publication());
            if (!row.getBoolean(4)) {
                problems.add(new Problem("user " + user + " lacks CREATE on database " + database + " on master"
                        + " (to create schema lifeboat and publication " + config.publication() + ")",
                        "run on the master: GRANT CREATE ON DATABASE " + database + " TO " + user));
            }
            if (row.getObject(5) != null && !row.getBoolean(5)) {
                problems.add(new Problem("user " + user + " does not own publication " + config.publication() + " on master"
                        + " (to set its tables)", "run on the master: ALTER PUBLICATION " + publication
                        + " OWNER TO " + user));
            }
            boolean heartbeatExists = row.getObject(7) != null;
            if (row.getObject(6) != null && !row.getBoolean(6)) {
                problems.add(new Problem("user " + user + " lacks USAGE and CREATE on schema lifeboat on master"
                        + " (for the heartbeat table)",
                        "run on the master: GRANT USAGE, CREATE ON SCHEMA lifeboat TO " + user));
            }
            if (heartbeatExists && !row.getBoolean(7)) {
                problems.add(new Problem("user " + user + " does not own lifeboat.heartbeat on master (to publish"
                        + " it)", "run on the master: ALTER TABLE lifeboat.heartbeat OWNER TO " + user));
            }
            problems.addAll(objectPrivileges(master, config, user));
            return problems;
        }
    }

    /** Ownership of the published tables, SELECT on the copied tables and on the sequences. */
    private static List<Problem> objectPrivileges(Connection master, ReplicationConfig config, String user)
            throws SQLException {
        TableSelection selection = TableSelection.of(TableCatalog.read(master), config);
        Set<TableName> published = selection.pushdelta().stream().map(Table::name).collect(Collectors.toSet());
        Set<TableName> copied = selection.all().stream().map(Table::name).collect(Collectors.toSet());
        Map<String, List<Relation>> notOwnedByOwner = new TreeMap<>();
        Map<String, Boolean> ownerIsSuperuser = new LinkedHashMap<>();
        List<Relation> unreadable = new ArrayList<>();
        List<Relation> unreadableSequences = new ArrayList<>();
        try (Statement statement = master.createStatement(); ResultSet rows = statement.executeQuery("""
                select n.nspname, c.relname, quote_ident(n.nspname), quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                       c.relkind, quote_ident(o.rolname), o.rolsuper, pg_has_role(c.relowner, 'USAGE'),
                       case when c.relkind = 'S' then has_sequence_privilege(c.oid, 'SELECT')
                            else has_table_privilege(c.oid, 'SELECT') end
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                join pg_roles o on o.oid = c.relowner
                where c.relkind in ('r', 'S')
                  and n.nspname not in ('pg_catalog', 'information_schema', 'lifeboat')
                  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
                order by 1, 2
                """)) {
            while (rows.next()) {
                TableName name = new TableName(rows.getString(1), rows.getString(2));
                Relation relation = new Relation(name, rows.getString(3), rows.getString(4));
                boolean readable = rows.getBoolean(9);
                if ("S".equals(rows.getString(5))) {
                    if (!readable) {
                        unreadableSequences.add(relation);
                    }
                } else if (published.contains(name) && !rows.getBoolean(8)) {
                    // The owner's rights include SELECT: the ownership fix covers both.
                    notOwnedByOwner.computeIfAbsent(rows.getString(6), owner -> new ArrayList<>()).add(relation);
                    ownerIsSuperuser.put(rows.getString(6), rows.getBoolean(7));
                } else if (copied.contains(name) && !readable) {
                    unreadable.add(relation);
                }
            }
        }
        List<Problem> problems = new ArrayList<>();
        notOwnedByOwner.forEach((owner, tables) -> problems.add(new Problem("user " + user + " does not own "
                + names(tables) + " on master (owner " + owner + "; only a table's owner can publish it)",
                // Membership in the owning role gives its ownership rights; never suggest joining a superuser role.
                ownerIsSuperuser.get(owner)
                        ? "run on the master: ALTER TABLE " + tables.get(0).sql() + " OWNER TO " + user
                                + (tables.size() > 1 ? ", and the same for each of them" : "")
                        : "run on the master: GRANT " + owner + " TO " + user)));
        if (!unreadable.isEmpty()) {
            problems.add(new Problem("user " + user + " lacks SELECT on " + names(unreadable)
                    + " on master (to copy " + (unreadable.size() == 1 ? "it" : "them") + ")",
                    "run on the master: GRANT SELECT ON " + grantTarget(unreadable, "TABLE", "TABLES") + " TO "
                            + user));
        }
        if (!unreadableSequences.isEmpty()) {
            problems.add(new Problem("user " + user + " lacks SELECT on sequence"
                    + (unreadableSequences.size() == 1 ? " " : "s ") + names(unreadableSequences)
                    + " on master (to bring " + (unreadableSequences.size() == 1 ? "its value" : "their values")
                    + " to the standby)", "run on the master: GRANT SELECT ON "
                    + grantTarget(unreadableSequences, "SEQUENCE", "SEQUENCES") + " TO " + user));
        }
        return problems;
    }

    /**
     * Refuses when another process streams from the slot: a {@code sync run} against another standby, or some other
     * client. One that was just killed gets a moment to let go.
     */
    public static void checkSlotUnused(Connection master, String slot) throws SQLException {
        long deadline = System.nanoTime() + SLOT_RELEASE_WAIT.toNanos();
        Optional<ReplicationSlot.SlotUser> user = ReplicationSlot.user(master, slot);
        while (user.isPresent() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            user = ReplicationSlot.user(master, slot);
        }
        if (user.isPresent()) {
            ReplicationSlot.SlotUser u = user.get();
            throw new LifeboatException("slot " + slot + " is in use on master by another client (" + u + ")",
                    "is a sync run replicating this master into another standby? give each its own"
                            + " replication.slot; a client that is gone lets go within wal_sender_timeout, or run"
                            + " on the master: SELECT pg_terminate_backend(" + u.pid() + ")", null);
        }
    }

    private static String names(List<Relation> relations) {
        String listed = relations.stream().limit(LISTED).map(r -> r.name().toString())
                .collect(Collectors.joining(", "));
        return relations.size() <= LISTED ? listed : listed + " and " + (relations.size() - LISTED) + " more";
    }

    /** The objects of a GRANT: listed when few, else every one of that kind in their schemas. */
    private static String grantTarget(List<Relation> relations, String kind, String kinds) {
        if (relations.size() <= LISTED) {
            return kind + " " + relations.stream().map(Relation::sql).collect(Collectors.joining(", "));
        }
        return "ALL " + kinds + " IN SCHEMA " + relations.stream().map(Relation::schemaSql).distinct()
                .collect(Collectors.joining(", "));
    }

    /** A table or sequence, with its name quoted by the server where SQL needs it ({@code public."Order"}). */
    private record Relation(TableName name, String schemaSql, String sql) {
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /**
     * One thing the master lacks.
     *
     * @param hint what to do about it; null when the message says it
     */
    public record Problem(String message, String hint) {
        /** The message and the fix on one line. */
        public String line() {
            return hint == null ? message : message + "; " + hint;
        }
    }

    /** Every problem {@link #checkAll} found, one line each. */
    public static final class UnmetPrerequisites extends LifeboatException {
        private final List<String> lines;

        UnmetPrerequisites(List<String> lines) {
            super(lines.get(0) + (lines.size() > 1 ? " (and " + (lines.size() - 1) + " more)" : ""));
            this.lines = List.copyOf(lines);
        }

        public List<String> lines() {
            return lines;
        }
    }
}
