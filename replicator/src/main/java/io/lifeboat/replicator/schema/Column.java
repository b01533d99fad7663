package io.lifeboat.replicator.schema;

/**
 * One column of a replicated table.
 *
 * @param type the type as {@code format_type} prints it, e.g. {@code numeric(12,2)} or {@code public.mood[]}
 * @param generated a generated column: never written on the standby, which computes it
 */
public record Column(String name, String type, boolean generated) {
    public String quoted() {
        return TableName.quote(name);
    }
}
