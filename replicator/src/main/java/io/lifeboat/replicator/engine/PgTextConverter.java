package io.lifeboat.replicator.engine;

import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Array;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Properties;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

/**
 * Hands every column to Lifeboat as PostgreSQL text (null for SQL NULL), which the applier casts to the standby
 * column's type. Debezium parses pgoutput's text into Java objects before any converter runs; its own Connect
 * representations lose information (2-D arrays become nulls, array bounds, varbit length, BC years, infinities,
 * 24:00), so this maps each parsed object straight back to a literal of the same value instead. Strings and
 * arrays are the wire text itself. Known loss, before this runs: {@code timetz} arrives shifted to UTC.
 */
public final class PgTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {
    /** An unchanged TOASTed value the master did not send. NUL cannot occur in PostgreSQL text, so no value is this. */
    public static final String UNCHANGED = "\u0000unchanged-toast\u0000";

    @Override
    public void configure(Properties properties) {
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        registration.register(SchemaBuilder.string().optional(), PgTextConverter::text);
    }

    /** Never throws: Debezium also calls this for parsed column defaults, which Lifeboat does not use. */
    static String text(Object raw) {
        if (raw == null) {
            return null;
        }
        if (raw instanceof String text) {
            return text;
        }
        if (raw instanceof Array) {
            return raw.toString();
        }
        if (raw instanceof Boolean flag) {
            return flag ? "t" : "f";
        }
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short
                || raw instanceof Double || raw instanceof Float) {
            // Java's shortest form names the same float; NaN, Infinity and -0.0 are accepted by PostgreSQL.
            return raw.toString();
        }
        if (raw instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (raw instanceof SpecialValueDecimal special) {
            if (special.getDecimalValue().isPresent()) {
                return special.getDecimalValue().get().toPlainString();
            }
            return special.equals(SpecialValueDecimal.NOT_A_NUMBER) ? "NaN"
                    : special.equals(SpecialValueDecimal.POSITIVE_INF) ? "Infinity" : "-Infinity";
        }
        if (raw instanceof byte[] bytes) {
            return "\\x" + HexFormat.of().formatHex(bytes);
        }
        if (raw instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return "\\x" + HexFormat.of().formatHex(bytes);
        }
        if (raw instanceof LocalDate date) {
            if (date.equals(PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE)) {
                return "infinity";
            }
            if (date.equals(PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE)) {
                return "-infinity";
            }
            return date(date) + era(date.getYear());
        }
        if (raw instanceof Instant instant) {
            if (instant.equals(PostgresValueConverter.POSITIVE_INFINITY_INSTANT)) {
                return "infinity";
            }
            if (instant.equals(PostgresValueConverter.NEGATIVE_INFINITY_INSTANT)) {
                return "-infinity";
            }
            LocalDateTime at = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
            return date(at.toLocalDate()) + ' ' + time(at.toLocalTime()) + era(at.getYear());
        }
        if (raw instanceof OffsetDateTime at) {
            if (at.equals(PostgresValueConverter.POSITIVE_INFINITY_OFFSET_DATE_TIME)) {
                return "infinity";
            }
            if (at.equals(PostgresValueConverter.NEGATIVE_INFINITY_OFFSET_DATE_TIME)) {
                return "-infinity";
            }
            LocalDateTime local = at.toLocalDateTime();
            return date(local.toLocalDate()) + ' ' + time(local.toLocalTime()) + offset(at.getOffset())
                    + era(local.getYear());
        }
        if (raw instanceof OffsetTime at) {
            return time(at.toLocalTime()) + offset(at.getOffset());
        }
        if (raw instanceof LocalTime at) {
            return time(at);
        }
        if (raw instanceof PGInterval interval) {
            // Rebuilt from the whole fields: PGInterval's seconds are a double and would round microseconds.
            long micros = interval.getWholeSeconds() * 1_000_000L + interval.getMicroSeconds();
            return interval.getYears() + " years " + interval.getMonths() + " mons " + interval.getDays() + " days "
                    + interval.getHours() + " hours " + interval.getMinutes() + " mins "
                    + BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString() + " secs";
        }
        if (raw instanceof PGobject object) {
            return object.getValue();
        }
        if (raw.getClass() == Object.class) {
            // Debezium's markers for unchanged TOASTed values are bare Object instances.
            return UNCHANGED;
        }
        return raw.toString();
    }

    private static String offset(ZoneOffset offset) {
        return offset.getId().equals("Z") ? "+00:00" : offset.getId();
    }

    private static String era(int isoYear) {
        return isoYear <= 0 ? " BC" : "";
    }

    /** ISO counts year 0 as 1 BC. */
    private static String date(LocalDate date) {
        int year = date.getYear() <= 0 ? 1 - date.getYear() : date.getYear();
        return pad(year, 4) + '-' + pad(date.getMonthValue(), 2) + '-' + pad(date.getDayOfMonth(), 2);
    }

    private static String time(LocalTime time) {
        StringBuilder text = new StringBuilder(15).append(pad(time.getHour(), 2)).append(':')
                .append(pad(time.getMinute(), 2)).append(':').append(pad(time.getSecond(), 2));
        int micros = time.getNano() / 1000;
        if (micros != 0) {
            text.append('.').append(pad(micros, 6));
            while (text.charAt(text.length() - 1) == '0') {
                text.setLength(text.length() - 1);
            }
        }
        return text.toString();
    }

    private static String pad(int value, int width) {
        String digits = Integer.toString(value);
        return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
    }
}
