package io.lifeboat.core.config;

import java.util.regex.Pattern;

/**
 * A table name pattern from config: {@code schema.table} with {@code *} and {@code ?} wildcards; a pattern
 * without a schema means schema {@code public}. Matching is exact on case, as PostgreSQL's stored names are.
 */
public record TablePattern(String text, Pattern regex) {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_$*?]+(\\.[A-Za-z0-9_$*?]+)?");

    public static TablePattern parse(String text) {
        String trimmed = text.strip();
        if (!VALID.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a table pattern (write it like public.orders,"
                    + " sales.*, or *.audit_?)");
        }
        String qualified = trimmed.contains(".") ? trimmed : "public." + trimmed;
        StringBuilder regex = new StringBuilder();
        for (char c : qualified.toCharArray()) {
            switch (c) {
                case '*' -> regex.append("[^.]*");
                case '?' -> regex.append("[^.]");
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new TablePattern(trimmed, Pattern.compile(regex.toString()));
    }

    public boolean matches(String schema, String table) {
        return regex.matcher(schema + "." + table).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
