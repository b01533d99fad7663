package io.lifeboat.replicator.route;

import io.lifeboat.replicator.schema.TableName;
import java.util.Map;
import java.util.Set;

/**
 * One row change from the master, with every value in PostgreSQL's text form (null for SQL NULL), so the applier
 * can cast it to the standby column's type and nothing is lost in a Java type on the way.
 *
 * @param key the primary key of the row before the change (INSERT and UPDATE: of the new row)
 * @param values the new row's columns (INSERT, UPDATE); empty for DELETE and TRUNCATE
 * @param unchanged columns the master did not send because they are unchanged TOASTed values: never written
 */
public record RowChange(TableName table, ChangeKind kind, Map<String, String> key, Map<String, String> values,
                        Set<String> unchanged) {
    public static RowChange truncate(TableName table) {
        return new RowChange(table, ChangeKind.TRUNCATE, Map.of(), Map.of(), Set.of());
    }
}
