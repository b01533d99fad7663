package io.lifeboat.replicator.validate;

import io.lifeboat.replicator.schema.Column;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The SQL that hashes one column's value to a bigint on the server. Turning every value into text costs more than
 * reading the table; types whose built-in hash takes the whole value — equal hash input means the same value,
 * printed the same — are hashed as they are stored (bigint with its high half added, as its hash folds it to 32
 * bits). The rest go through their output function: numeric {@code 1.0} and {@code 1.00}, float {@code 0} and
 * {@code -0}, interval {@code 1 day} and {@code 24 hours}, jsonb numbers, unbounded {@code bpchar} trailing blanks
 * are equal to their type's hash but not to an operator reading them, and timestamps and times are folded to 32
 * bits by theirs.
 * NULL hashes to a constant of its own per column, so a value turned NULL changes the row's hash.
 */
final class ColumnHash {
    private static final Pattern FIXED_CHAR = Pattern.compile("character\\(\\d+\\)");

    /** Seeds of a bigint's high half, apart from every column position's. */
    private static final int HIGH_HALF_SEED = 2_000_000;
    /** A type no rule matches: the value is hashed as text. */
    static final String AS_TEXT = "(compared as text)";

    private ColumnHash() {
    }

    /**
     * @param value SQL for the value (e.g. {@code t."id"})
     * @param type the column's type as {@code format_type} prints it
     * @param seed tells the columns apart, so that values swapped between two columns change the row's hash
     */
    static String of(String value, String type, int seed) {
        return "coalesce(" + typed(value, type, seed) + ", " + nullMark(seed) + ")";
    }

    private static String typed(String value, String type, int seed) {
        String s = Integer.toString(seed);
        return switch (type) {
            case "smallint" -> "hashint2extended(" + value + ", " + s + ")";
            case "integer" -> "hashint4extended(" + value + ", " + s + ")";
            // hashint8extended folds the value to 32 bits first (1 and 4294967296 hash alike): the high half,
            // hashed on its own, tells such values apart.
            case "bigint" -> "(hashint8extended(" + value + ", " + s + ") # hashint4extended((" + value
                    + " >> 32)::integer, " + (seed + HIGH_HALF_SEED) + "))";
            case "oid" -> "hashoidextended(" + value + ", " + s + ")";
            case "boolean" -> "hashint4extended(" + value + "::integer, " + s + ")";
            case "uuid" -> "uuid_hash_extended(" + value + ", " + s + ")";
            // The cast to text drops trailing blanks; the output function, which the operator sees, keeps them.
            case "bpchar" -> "hashtextextended(textin(bpcharout(" + value + ")) collate \"C\", " + s + ")";
            default -> {
                if (FIXED_CHAR.matcher(type).matches()) {
                    // char(n) pads every value to n, so ignoring trailing blanks as its hash does loses nothing.
                    yield "hashbpcharextended(" + value + " collate \"C\", " + s + ")";
                }
                // Text, varchar and name need nothing else; every other type goes through its output text.
                // Timestamps and times are not above: their hashes fold 64-bit microseconds to 32 bits as well.
                // "C": a nondeterministic collation (of a column, an array's elements, a domain) hashes 'Foo' like
                // 'foo'.
                yield "hashtextextended(" + value + "::text collate \"C\", " + s + ")";
            }
        };
    }

    private static String nullMark(int seed) {
        // Any fixed odd-looking constant does: a real value hashing to exactly it is a 1-in-2^64 event.
        return Long.toString(0x6A09E667F3BCC909L ^ (seed * 0x9E3779B97F4A7C15L)) + "::bigint";
    }

    /** The XOR of the columns' hashes, seeds counted from {@code firstSeed} in column order. */
    static String combined(String alias, List<Column> columns, int firstSeed) {
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            if (i > 0) {
                sql.append(" # ");
            }
            sql.append(of(alias + "." + column.quoted(), column.type(), firstSeed + i));
        }
        return sql.isEmpty() ? "0::bigint" : sql.toString();
    }
}
