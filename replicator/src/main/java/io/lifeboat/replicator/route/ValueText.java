package io.lifeboat.replicator.route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns a value as Debezium delivers it (with the connector settings {@link io.lifeboat.replicator.engine} uses)
 * back into PostgreSQL's text form, which the applier casts to the standby column's type.
 */
public final class ValueText {
    /** What Debezium sends for an unchanged TOASTed value that the master did not include in the change. */
    public static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.US_ASCII);
    /** Debezium's stand-ins for PostgreSQL's {@code infinity} in date and timestamp columns. */
    private static final int DATE_POSITIVE_INFINITY = -2147472692;
    private static final int DATE_NEGATIVE_INFINITY = -2147472693;
    private static final long TIMESTAMP_POSITIVE_INFINITY = 9223372036825200000L;
    private static final long TIMESTAMP_NEGATIVE_INFINITY = -9223372036832400000L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    private static final String SOURCE_TYPE = "__debezium.source.column.type";

    private ValueText() {
    }

    /** The master left this value out because it did not change (TOAST). */
    public static boolean unavailable(Object value) {
        if (value instanceof String text) {
            return text.equals(UNAVAILABLE);
        }
        if (value instanceof byte[] bytes) {
            return java.util.Arrays.equals(bytes, UNAVAILABLE_BYTES);
        }
        if (value instanceof ByteBuffer buffer) {
            return buffer.remaining() == UNAVAILABLE_BYTES.length
                    && buffer.duplicate().equals(ByteBuffer.wrap(UNAVAILABLE_BYTES));
        }
        return false;
    }

    public static String of(Object value, Schema schema) {
        if (value == null) {
            return null;
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date":
                    return date(((Number) value).intValue());
                case "io.debezium.time.MicroTimestamp":
                    return timestamp(((Number) value).longValue());
                case "io.debezium.time.MicroTime":
                    return time(((Number) value).longValue());
                case "io.debezium.data.Bits":
                    return bits(bytes(value), schema);
                case "io.debezium.data.geometry.Point":
                    Struct point = (Struct) value;
                    return "(" + floating(point.getFloat64("x")) + "," + floating(point.getFloat64("y")) + ")";
                case "io.debezium.time.ZonedTimestamp":
                    return zonedTimestamp((String) value);
                default:
                    break;
            }
        }
        return switch (schema.type()) {
            case STRING -> numericSpecial((String) value);
            case INT8, INT16, INT32, INT64, BOOLEAN -> value.toString();
            case FLOAT32, FLOAT64 -> floating(((Number) value).doubleValue());
            // bytea, or a type Debezium has no converter for (composite, box, polygon), which arrives as its text.
            case BYTES -> isBytea(schema) ? bytea(bytes(value)) : new String(bytes(value), StandardCharsets.UTF_8);
            case ARRAY -> array((List<?>) value, schema.valueSchema());
            case STRUCT, MAP -> throw new IllegalArgumentException("no text form for a " + schema.type() + " value");
        };
    }

    /** Needs {@code column.propagate.source.type}; without it every BYTES value is taken for bytea. */
    private static boolean isBytea(Schema schema) {
        String sourceType = schema.parameters() == null ? null : schema.parameters().get(SOURCE_TYPE);
        return sourceType == null || sourceType.equalsIgnoreCase("bytea");
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static String bytea(byte[] bytes) {
        return "\\x" + HexFormat.of().formatHex(bytes);
    }

    private static String numericSpecial(String text) {
        return switch (text) {
            case "POSITIVE_INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY" -> "-Infinity";
            default -> text;
        };
    }

    private static String floating(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(value);
    }

    private static String date(int days) {
        if (days == DATE_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (days == DATE_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        LocalDate date = LocalDate.ofEpochDay(days);
        return withEra(date.getYear(), date.toString().substring(date.toString().indexOf('-', 1)));
    }

    private static String timestamp(long micros) {
        if (micros == TIMESTAMP_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (micros == TIMESTAMP_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        LocalDateTime at = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
        String iso = at.toString();
        return withEra(at.getYear(), iso.substring(iso.indexOf('-', 1)));
    }

    /** ISO years count 0 as 1 BC; PostgreSQL writes {@code 0001-… BC}. */
    private static String zonedTimestamp(String iso) {
        if (iso.startsWith("-") && !iso.equals("-infinity") || iso.startsWith("0000-")) {
            int dash = iso.indexOf('-', 1);
            int year = Integer.parseInt(iso.substring(0, dash));
            return withEra(year, iso.substring(dash));
        }
        return iso;
    }

    private static String withEra(int isoYear, String afterYear) {
        if (isoYear > 0) {
            return String.format("%04d", isoYear) + afterYear;
        }
        return String.format("%04d", 1 - isoYear) + afterYear + " BC";
    }

    private static String time(long micros) {
        if (micros == MICROS_PER_DAY) {
            return "24:00:00";
        }
        return LocalTime.ofNanoOfDay(micros * 1000).toString();
    }

    /** Debezium packs bit strings little-endian and drops trailing zero bytes; the length parameter restores them. */
    private static String bits(byte[] bytes, Schema schema) {
        int length = Integer.parseInt(schema.parameters().getOrDefault("length", Integer.toString(bytes.length * 8)));
        StringBuilder text = new StringBuilder(length);
        for (int bit = length - 1; bit >= 0; bit--) {
            int index = bit / 8;
            boolean set = index < bytes.length && (bytes[index] & (1 << (bit % 8))) != 0;
            text.append(set ? '1' : '0');
        }
        return text.toString();
    }

    private static String array(List<?> elements, Schema elementSchema) {
        StringBuilder literal = new StringBuilder("{");
        for (int i = 0; i < elements.size(); i++) {
            if (i > 0) {
                literal.append(',');
            }
            String element = of(elements.get(i), elementSchema);
            if (element == null) {
                literal.append("NULL");
            } else {
                literal.append('"').append(element.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return literal.append('}').toString();
    }

    /** The text of every field of a row image, by column name. */
    public static java.util.Map<String, String> row(Struct image, java.util.Set<String> unchanged) {
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (Field field : image.schema().fields()) {
            Object value = image.get(field);
            if (unavailable(value)) {
                unchanged.add(field.name());
            } else {
                values.put(field.name(), of(value, field.schema()));
            }
        }
        return values;
    }
}
