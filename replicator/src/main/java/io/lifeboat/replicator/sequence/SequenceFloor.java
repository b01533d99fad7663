package io.lifeboat.replicator.sequence;

import io.lifeboat.core.db.TransientFailure;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Before a standby takes writes (a promotion), moves every sequence on it to at least the highest value anything
 * has already used, plus a gap, in the sequence's own direction: the value the master was last known to hand out
 * next (the standby sequence itself holds it, since {@link SequenceSync} carried it there; run a last
 * {@link SequenceSync} first when the master still answers), and the furthest value in every column that takes
 * its values from the sequence (serial and identity columns, and any column whose default calls nextval on it).
 * The gap covers what the master may have handed out after the last sync. A sequence is never moved back.
 *
 * <p>Only column values within the sequence's min..max count: a value outside can never come from the sequence,
 * so it cannot collide with one it hands out. A CYCLE sequence ignores its columns: after a wrap they hold values
 * from all over its range and say nothing about where it stands, so it moves forward from its own position (the
 * master's, see {@link Sequence#movesForward}) by the gap, at most just under half its cycle so that it never comes
 * round to the values handed out just before. Without CYCLE the gap stops at the bound, so a sequence with room
 * left keeps at least its last value.
 *
 * <p>Finding a column's furthest value scans the column unless an index leads with it.
 */
public final class SequenceFloor {
    private static final String USES = """
            with uses as (
                select d.objid as seq, d.refobjid as rel, d.refobjsubid as att
                from pg_depend d
                where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
                  and d.deptype in ('a', 'i') and d.refobjsubid > 0
                union
                select d.refobjid, ad.adrelid, ad.adnum
                from pg_depend d join pg_attrdef ad on ad.oid = d.objid
                where d.classid = 'pg_attrdef'::regclass and d.refclassid = 'pg_class'::regclass
            )
            select quote_ident(sn.nspname) || '.' || quote_ident(s.relname),
                   quote_ident(tn.nspname) || '.' || quote_ident(t.relname), quote_ident(a.attname)
            from uses u
            join pg_class s on s.oid = u.seq and s.relkind = 'S'
            join pg_namespace sn on sn.oid = s.relnamespace
            join pg_class t on t.oid = u.rel and t.relkind in ('r', 'p')
            join pg_namespace tn on tn.oid = t.relnamespace
            join pg_attribute a on a.attrelid = u.rel and a.attnum = u.att and not a.attisdropped
            join pg_type ty on ty.oid = a.atttypid
            -- numbers only (a text column built from nextval has no furthest value), domains over them too
            where (case when ty.typtype = 'd' then ty.typbasetype else ty.oid end)
                  in ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype)
              -- a partition is read through its parent when the parent uses the sequence too
              and not exists (select from pg_inherits i join uses p on p.rel = i.inhparent and p.seq = u.seq
                              where i.inhrelid = u.rel)
            order by 1, 2, 3
            """;

    private SequenceFloor() {
    }

    /**
     * Raises every standby sequence as described above.
     *
     * @param gap how many values to skip past the highest one used (each a step of the sequence's increment)
     * @throws SQLException only when the connection fails
     */
    public static Result raise(Connection standby, long gap) throws SQLException {
        if (gap < 0) {
            throw new IllegalArgumentException("gap must not be negative: " + gap);
        }
        SequenceCatalog.Reading reading = SequenceCatalog.read(standby);
        Map<String, List<String[]>> columns = columns(standby);
        Map<String, NextValue> raised = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        reading.unreadable().forEach((name, why) -> skipped.put(name, "cannot read it: " + why));
        for (Sequence sequence : reading.sequences().values()) {
            try {
                NextValue floor = sequence.next();
                if (!sequence.cycle()) {
                    for (String[] column : columns.getOrDefault(sequence.name(), List.of())) {
                        Optional<NextValue> after = after(standby, sequence, column[0], column[1]);
                        if (after.isPresent() && sequence.movesForward(floor, after.get())) {
                            floor = after.get();
                        }
                    }
                }
                NextValue target = plusGap(sequence, floor, gap);
                if (sequence.movesForward(sequence.next(), target)) {
                    SequenceCatalog.set(standby, sequence.handingOut(target));
                    raised.put(sequence.name(), target);
                }
            } catch (SQLException e) {
                if (TransientFailure.test(e)) {
                    throw e;
                }
                skipped.put(sequence.name(), SequenceCatalog.serverText(e));
            }
        }
        return new Result(raised, skipped);
    }

    /** Columns (table, column) per sequence name. */
    private static Map<String, List<String[]>> columns(Connection connection) throws SQLException {
        Map<String, List<String[]>> columns = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(USES)) {
            while (rows.next()) {
                columns.computeIfAbsent(rows.getString(1), k -> new ArrayList<>())
                        .add(new String[] {rows.getString(2), rows.getString(3)});
            }
        }
        return columns;
    }

    /** The value the sequence would hand out after the furthest value the column holds within its bounds. */
    private static Optional<NextValue> after(Connection connection, Sequence sequence, String table, String column)
            throws SQLException {
        // Names come quoted from quote_ident; bounds compare as bigint so an index on the column can serve.
        String sql = "select " + (sequence.ascending() ? "max" : "min") + "(" + column + ")::bigint from " + table
                + " where " + column + " between ?::bigint and ?::bigint";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, sequence.min());
            statement.setLong(2, sequence.max());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                long furthest = row.getLong(1);
                return row.wasNull() ? Optional.empty() : Optional.of(sequence.withState(furthest, true).next());
            }
        }
    }

    private static NextValue plusGap(Sequence sequence, NextValue floor, long gap) {
        if (floor.isExhausted() || gap == 0) {
            return floor;
        }
        BigInteger step = BigInteger.valueOf(sequence.increment());
        BigInteger distance = step.abs().multiply(BigInteger.valueOf(gap));
        BigInteger min = BigInteger.valueOf(sequence.min());
        BigInteger max = BigInteger.valueOf(sequence.max());
        BigInteger from = BigInteger.valueOf(floor.value());
        if (sequence.cycle()) {
            BigInteger size = sequence.cycleSize();
            BigInteger halfBelow = size.subtract(BigInteger.ONE).shiftRight(1);
            distance = distance.min(halfBelow);
            BigInteger offset = sequence.ascending() ? from.subtract(min).add(distance)
                    : max.subtract(from).add(distance);
            offset = offset.mod(size);
            return NextValue.of((sequence.ascending() ? min.add(offset) : max.subtract(offset)).longValueExact());
        }
        BigInteger to = sequence.ascending() ? from.add(distance).min(max) : from.subtract(distance).max(min);
        return NextValue.of(to.longValueExact());
    }

    /**
     * @param raised  the sequences moved, with the value each hands out next now
     * @param skipped sequences that could not be read or set, with the reason
     */
    public record Result(Map<String, NextValue> raised, Map<String, String> skipped) {
    }
}
