package io.lifeboat.replicator.engine;

import io.lifeboat.replicator.schema.TableName;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of one pgoutput message (protocol version 1, PostgreSQL's "Logical Replication Message Formats") that
 * name a change's table and carry its values: Relation ('R') messages describe a table's columns, and Insert,
 * Update and Delete ('I', 'U', 'D') carry tuples of text values. Every other message is read as nothing.
 */
final class PgOutputMessage {
    private PgOutputMessage() {
    }

    /** A column as a Relation message describes it. */
    record Column(String name, int typeOid) {
    }

    /** A table as a Relation message describes it. */
    record Relation(int id, TableName table, List<Column> columns) {
    }

    /** One value of a change: text, or absent (SQL NULL, or an unchanged TOASTed value). */
    record Value(Column column, Optional<String> text) {
    }

    /** One row change: its table and every value of its new and old tuples, in the order Debezium reads them. */
    record Change(Relation relation, List<Value> values) {
    }

    /** Reads a Relation message; empty for any other. */
    static Optional<Relation> relation(byte[] message) {
        ByteBuffer buffer = ByteBuffer.wrap(message);
        if (buffer.get() != 'R') {
            return Optional.empty();
        }
        int id = buffer.getInt();
        String schema = string(buffer);
        String name = string(buffer);
        buffer.get(); // replica identity
        int count = buffer.getShort();
        List<Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            buffer.get(); // flags: part of the key
            String column = string(buffer);
            int type = buffer.getInt();
            buffer.getInt(); // type modifier
            columns.add(new Column(column, type));
        }
        // pgoutput names pg_catalog's namespace with an empty string.
        return Optional.of(new Relation(id, new TableName(schema.isEmpty() ? "pg_catalog" : schema, name), columns));
    }

    /**
     * Reads an Insert, Update or Delete message of a relation described before; empty for any other message.
     *
     * @throws IllegalStateException a change of a relation no Relation message described
     */
    static Optional<Change> change(byte[] message, Map<Integer, Relation> relations) {
        ByteBuffer buffer = ByteBuffer.wrap(message);
        char kind = (char) buffer.get();
        if (kind != 'I' && kind != 'U' && kind != 'D') {
            return Optional.empty();
        }
        int id = buffer.getInt();
        Relation relation = relations.get(id);
        if (relation == null) {
            throw new IllegalStateException("pgoutput sent a change of relation " + id + " before describing it");
        }
        List<Value> values = new ArrayList<>();
        // Update: an optional old tuple ('K' key or 'O' old row), then 'N' and the new one; Insert: 'N'; Delete:
        // 'K' or 'O'. Each tuple is introduced by its letter.
        while (buffer.hasRemaining()) {
            char tuple = (char) buffer.get();
            if (tuple != 'N' && tuple != 'K' && tuple != 'O') {
                throw new IllegalStateException("unexpected pgoutput tuple '" + tuple + "' in a change of "
                        + relation.table());
            }
            tuple(buffer, relation, values);
        }
        return Optional.of(new Change(relation, values));
    }

    private static void tuple(ByteBuffer buffer, Relation relation, List<Value> values) {
        int count = buffer.getShort();
        for (int i = 0; i < count; i++) {
            Column column = relation.columns().get(i);
            char kind = (char) buffer.get();
            switch (kind) {
                case 'n', 'u' -> values.add(new Value(column, Optional.empty()));
                case 't' -> {
                    byte[] text = new byte[buffer.getInt()];
                    buffer.get(text);
                    values.add(new Value(column, Optional.of(new String(text, StandardCharsets.UTF_8))));
                }
                default -> throw new IllegalStateException("unexpected pgoutput value kind '" + kind
                        + "' in column " + column.name() + " of " + relation.table());
            }
        }
    }

    private static String string(ByteBuffer buffer) {
        int start = buffer.position();
        int end = start;
        while (buffer.get(end) != 0) {
            end++;
        }
        String text = new String(buffer.array(), start, end - start, StandardCharsets.UTF_8);
        buffer.position(end + 1);
        return text;
    }
}
