package io.lifeboat.replicator.route;

import io.lifeboat.replicator.engine.PgTextConverter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/** Reads a row image whose values {@link PgTextConverter} has already turned into PostgreSQL text. */
public final class ValueText {
    private ValueText() {
    }

    /** The text of every field by column name; unchanged TOASTed columns go to {@code unchanged} instead. */
    public static Map<String, String> row(Struct image, Set<String> unchanged) {
        List<Field> fields = image.schema().fields();
        Map<String, String> values = new LinkedHashMap<>(fields.size() * 2);
        for (Field field : fields) {
            Object value = image.get(field);
            if (PgTextConverter.UNCHANGED.equals(value)) {
                unchanged.add(field.name());
            } else {
                values.put(field.name(), (String) value);
            }
        }
        return values;
    }
}
