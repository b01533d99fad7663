package io.lifeboat.recovery.sql;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Before a recovered copy takes writes, moves every sequence past anything the master may have handed out: to at
 * least {@code max(its own value, the largest value of every column that uses it) + gap} (for a descending
 * sequence: {@code min(...) - gap}). A standby's sequences trail the master by up to the sequence-sync interval and a
 * dump carries the standby's; the gap covers numbers the master gave to rows that never arrived.
 *
 * <p>Columns count as using a sequence when they own it (serial, identity) or their default calls it. This is the
 * recovery's own copy of the rule; the replicator's sequence code is to offer the same move, and the rungs will call
 * that once it exists (they reach this class only through {@link #run}).
 */
public final class SequenceAdvance {
    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint", "numeric");

    /** Every user sequence with the columns that use it (one row per column, or one row without a column). */
    static final String SEQUENCES = """
            SELECT format('%I.%I', n.nspname, c.relname), s.seqincrement, s.seqstart, s.seqmin, s.seqmax,
                   pg_sequence_last_value(c.oid),
                   CASE WHEN t.oid IS NULL THEN NULL ELSE format('%I.%I', tn.nspname, t.relname) END,
                   quote_ident(a.attname), format_type(a.atttypid, NULL)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_sequence s ON s.seqrelid = c.oid
            LEFT JOIN (
                SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                  AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
                UNION
                SELECT d.refobjid, ad.adrelid, ad.adnum FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
                WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
            ) u ON u.seq = c.oid
            LEFT JOIN pg_class t ON t.oid = u.rel
            LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum AND NOT a.attisdropped
            WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'lifeboat')
              AND n.nspname !~ '^pg_(toast|temp)'
            ORDER BY 1, 7, 8
            """;

    private SequenceAdvance() {
    }

    /** One sequence moved: from its value before to the value it now holds (the next one handed out follows it). */
    public record Move(String sequence, String before, String after, String note) {
    }

    /** Moves every sequence of the database {@code console} is on; returns what moved. */
    public static List<Move> run(SqlConsole console, long gap) {
        Map<String, Sequence> sequences = new LinkedHashMap<>();
        for (List<String> row : console.rows(SEQUENCES)) {
            Sequence sequence = sequences.computeIfAbsent(row.get(0), name -> new Sequence(name,
                    new BigInteger(row.get(1)), new BigInteger(row.get(2)), new BigInteger(row.get(3)),
                    new BigInteger(row.get(4)), row.get(5) == null ? null : new BigInteger(row.get(5))));
            if (row.get(6) != null && row.get(7) != null && INTEGER_TYPES.contains(row.get(8))) {
                sequence.columns.add(new String[] {row.get(6), row.get(7)});
            }
        }
        if (sequences.isEmpty()) {
            return List.of();
        }
        Map<String, BigInteger> extremes = extremes(console, sequences);
        List<Move> moves = new ArrayList<>();
        StringJoiner setvals = new StringJoiner(", ", "SELECT ", "");
        for (Sequence sequence : sequences.values()) {
            boolean ascending = sequence.increment.signum() > 0;
            BigInteger used = sequence.last;
            BigInteger column = extremes.get(sequence.name);
            if (column != null && (used == null || (ascending ? column.compareTo(used) > 0 : column.compareTo(used) < 0))) {
                used = column;
            }
            if (used == null) {
                // Never called and no row uses it: the master may still have handed out numbers from the start.
                used = sequence.start.subtract(sequence.increment);
            }
            BigInteger target = ascending ? used.add(BigInteger.valueOf(gap)) : used.subtract(BigInteger.valueOf(gap));
            String note = "";
            if (target.compareTo(sequence.max) > 0) {
                target = sequence.max;
                note = "at its maximum";
            } else if (target.compareTo(sequence.min) < 0) {
                target = sequence.min;
                note = "at its minimum";
            }
            setvals.add("setval(" + SqlConsole.literal(sequence.name) + "::regclass, " + target + ", true)");
            moves.add(new Move(sequence.name, sequence.last == null ? "unused" : sequence.last.toString(),
                    target.toString(), note));
        }
        console.execute(setvals.toString());
        return moves;
    }

    /** The largest (for descending sequences, smallest) value of every column using each sequence, in one query. */
    private static Map<String, BigInteger> extremes(SqlConsole console, Map<String, Sequence> sequences) {
        StringJoiner union = new StringJoiner(" UNION ALL ");
        for (Sequence sequence : sequences.values()) {
            String aggregate = sequence.increment.signum() > 0 ? "max" : "min";
            for (String[] column : sequence.columns) {
                union.add("SELECT " + SqlConsole.literal(sequence.name) + ", (SELECT " + aggregate + "(" + column[1]
                        + ")::numeric FROM " + column[0] + ")::text");
            }
        }
        Map<String, BigInteger> extremes = new LinkedHashMap<>();
        if (union.length() == 0) {
            return extremes;
        }
        for (List<String> row : console.rows(union.toString())) {
            if (row.get(1) == null) {
                continue;
            }
            BigInteger value = new java.math.BigDecimal(row.get(1)).toBigInteger();
            Sequence sequence = sequences.get(row.get(0));
            extremes.merge(row.get(0), value, (a, b) -> sequence.increment.signum() > 0 ? a.max(b) : a.min(b));
        }
        return extremes;
    }

    private static final class Sequence {
        final String name;
        final BigInteger increment;
        final BigInteger start;
        final BigInteger min;
        final BigInteger max;
        final BigInteger last;
        /** {table, column}, both quoted as identifiers. */
        final List<String[]> columns = new ArrayList<>();

        Sequence(String name, BigInteger increment, BigInteger start, BigInteger min, BigInteger max, BigInteger last) {
            this.name = name;
            this.increment = increment;
            this.start = start;
            this.min = min;
            this.max = max;
            this.last = last;
        }
    }
}
