package io.lifeboat.core.config;

import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One mapping of the config file (the root, {@code master}, {@code archive}, …). Reading a key never throws:
 * a bad value is recorded as a problem at the value's line and the key reads as absent, so one pass over the
 * file reports everything that is wrong.
 */
final class ConfigSection {
    private final ConfigReader reader;
    private final String path;
    private final int line;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> read = new HashSet<>();

    private ConfigSection(ConfigReader reader, String path, int line) {
        this.reader = reader;
        this.path = path;
        this.line = line;
    }

    static ConfigSection of(ConfigReader reader, String path, int line, Node node) {
        ConfigSection section = new ConfigSection(reader, path, line);
        if (node instanceof MappingNode mapping) {
            section.index(mapping);
        } else if (!isNull(node)) {
            reader.error(lineOf(node), path, "expected a block of keys, found a single value");
        }
        return section;
    }

    static ConfigSection empty(ConfigReader reader, String path) {
        return new ConfigSection(reader, path, 0);
    }

    private void index(MappingNode mapping) {
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                reader.error(lineOf(tuple.getKeyNode()), path, "keys must be plain names");
                continue;
            }
            String key = keyNode.getValue();
            NodeTuple first = entries.putIfAbsent(key, tuple);
            if (first != null) {
                reader.error(lineOf(keyNode), keyPath(key),
                        "duplicate key (first set at line " + lineOf(first.getKeyNode()) + ")");
            }
        }
    }

    String path() {
        return path;
    }

    int line() {
        return line;
    }

    ConfigReader reader() {
        return reader;
    }

    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The key is written in the file, possibly with an empty value. */
    boolean declares(String key) {
        return entries.containsKey(key);
    }

    /** The key is written in the file with a value. */
    boolean has(String key) {
        return entries.containsKey(key) && !isNull(entries.get(key).getValueNode());
    }

    /** The line of the key, or of this section when the key is absent: where a problem about it is reported. */
    int lineOf(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple == null ? line : lineOf(tuple.getKeyNode());
    }

    /** The raw scalar as written, before interpolation. */
    Optional<String> raw(String key) {
        ask(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return Optional.empty();
        }
        if (!(tuple.getValueNode() instanceof ScalarNode scalar)) {
            reader.error(lineOf(tuple.getValueNode()), keyPath(key), "expected a single value, found a block or list");
            return Optional.empty();
        }
        return Optional.of(scalar.getValue());
    }

    Optional<String> string(String key) {
        return raw(key).flatMap(raw -> {
            EnvInterpolation.Result result = reader.interpolation().apply(raw);
            if (result.unsetVariable() != null) {
                error(key, "environment variable " + result.unsetVariable() + " is not set");
            }
            return result.valueIfSet();
        });
    }

    /** A required value: a missing key is reported at this section's line. */
    Optional<String> requiredString(String key) {
        if (!has(key)) {
            ask(key);
            reader.error(line, keyPath(key), "missing (required)");
            return Optional.empty();
        }
        return string(key).filter(value -> {
            if (value.isBlank()) {
                error(key, "must not be empty");
                return false;
            }
            return true;
        });
    }

    /** Parses a value with {@code parser}, whose {@link IllegalArgumentException} message becomes the problem. */
    <T> Optional<T> parsed(String key, Function<String, T> parser) {
        return string(key).flatMap(text -> {
            try {
                return Optional.of(parser.apply(text));
            } catch (IllegalArgumentException e) {
                error(key, e.getMessage());
                return Optional.empty();
            }
        });
    }

    /** true/false (also yes/no, on/off). */
    Optional<Boolean> bool(String key) {
        return parsed(key, text -> switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("'" + text + "' is not true or false");
        });
    }

    Optional<Integer> integer(String key, int min, int max) {
        return parsed(key, text -> {
            int value;
            try {
                value = Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a whole number");
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException(value + " is out of range (" + min + " to " + max + ")");
            }
            return value;
        });
    }

    /** A list of plain values, or a single value standing for a list of one; absent reads as empty. */
    java.util.List<String> stringList(String key) {
        ask(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return java.util.List.of();
        }
        Node value = tuple.getValueNode();
        if (value instanceof ScalarNode) {
            return string(key).map(java.util.List::of).orElse(java.util.List.of());
        }
        if (!(value instanceof org.yaml.snakeyaml.nodes.SequenceNode sequence)) {
            error(key, "expected a list");
            return java.util.List.of();
        }
        java.util.List<String> values = new java.util.ArrayList<>();
        for (Node item : sequence.getValue()) {
            if (!(item instanceof ScalarNode scalar)) {
                reader.error(lineOf(item), keyPath(key), "list items must be single values");
                continue;
            }
            EnvInterpolation.Result result = reader.interpolation().apply(scalar.getValue());
            if (result.unsetVariable() != null) {
                reader.error(lineOf(item), keyPath(key), "environment variable " + result.unsetVariable() + " is not set");
            } else {
                values.add(result.value());
            }
        }
        return values;
    }

    /** The keys written in this section, in file order. */
    java.util.Set<String> keys() {
        return entries.keySet();
    }

    /** A list of blocks ({@code - name: a ...}); absent reads as empty. */
    java.util.List<ConfigSection> sectionList(String key) {
        askBlock(key + "[]");
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return java.util.List.of();
        }
        if (!(tuple.getValueNode() instanceof org.yaml.snakeyaml.nodes.SequenceNode sequence)) {
            error(key, "expected a list of blocks");
            return java.util.List.of();
        }
        java.util.List<ConfigSection> sections = new java.util.ArrayList<>();
        int index = 0;
        for (Node item : sequence.getValue()) {
            sections.add(of(reader, keyPath(key) + "[" + index++ + "]", lineOf(item), item));
        }
        return sections;
    }

    /** A nested block; an absent one reads as empty, so its defaults apply. */
    ConfigSection section(String key) {
        askBlock(key);
        NodeTuple tuple = entries.get(key);
        if (tuple == null) {
            return empty(reader, keyPath(key));
        }
        return of(reader, keyPath(key), lineOf(tuple.getKeyNode()), tuple.getValueNode());
    }

    /** Records that the code reads this key, so the keys Lifeboat accepts can be listed (ConfigReferenceTest). */
    private void ask(String key) {
        read.add(key);
        reader.asked(keyPath(key));
    }

    private void askBlock(String key) {
        read.add(key.endsWith("[]") ? key.substring(0, key.length() - 2) : key);
        reader.askedBlock(keyPath(key));
    }

    void error(String key, String message) {
        reader.error(lineOf(key), keyPath(key), message);
    }

    void warning(String key, String message) {
        reader.warning(lineOf(key), keyPath(key), message);
    }

    /** Reports every key that nothing read: a typo must not silently fall back to a default. */
    void rejectUnknownKeys() {
        entries.keySet().stream()
                .filter(key -> !read.contains(key))
                .forEach(key -> error(key, "unknown key" + suggestion(key)));
    }

    private String suggestion(String unknown) {
        return read.stream()
                .filter(known -> editDistance(known, unknown) <= 2)
                .min(Comparator.comparingInt(known -> editDistance(known, unknown)))
                .map(known -> " (did you mean " + known + "?)")
                .orElse("");
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static boolean isNull(Node node) {
        return node == null || Tag.NULL.equals(node.getTag());
    }

    static int lineOf(Node node) {
        return node.getStartMark().getLine() + 1;
    }
}
