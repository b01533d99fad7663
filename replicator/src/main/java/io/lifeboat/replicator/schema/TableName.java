package io.lifeboat.replicator.schema;

/** A table's schema and name as PostgreSQL stores them. */
public record TableName(String schema, String name) implements Comparable<TableName> {
    /** The name quoted for SQL: {@code "public"."Order Lines"}. */
    public String quoted() {
        return quote(schema) + "." + quote(name);
    }

    public static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public int compareTo(TableName other) {
        int bySchema = schema.compareTo(other.schema);
        return bySchema != 0 ? bySchema : name.compareTo(other.name);
    }

    /** {@code public.orders}: how tables are named in every message. */
    @Override
    public String toString() {
        return schema + "." + name;
    }
}
