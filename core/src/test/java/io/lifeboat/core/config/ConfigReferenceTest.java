package io.lifeboat.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The configuration reference (the key table of the README's "Configuration" section) against the keys the config
 * code reads. The keys come from the code itself: every key a section is asked for is recorded while a file that
 * opens every block is loaded, so a key added to a reader fails this test until it is documented.
 *
 * <p>The table's notation: the first column holds keys in backticks, written whole ({@code archive.chunk_size}) or
 * continuing the previous key's block ({@code .compression_level}); {@code [_file]} stands for both forms; a key
 * ending in {@code .*} or {@code []} has its keys in backticks in the third column ({@code `host`},
 * {@code `type: s3`}).
 */
class ConfigReferenceTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    private static Path fixture() throws URISyntaxException {
        return Path.of(ConfigReferenceTest.class.getResource("/config-reference/every-block.yml").toURI());
    }

    private static ConfigReader readEveryBlock() throws URISyntaxException {
        Path file = fixture();
        ConfigReader reader = new ConfigReader(file, Map.of("PASSWORD", "secret"));
        ConfigLoader.load(reader, file);
        return reader;
    }

    @Test
    void everyKeyTheCodeReads_isInTheReference() throws Exception {
        Set<String> documented = documentedKeys();
        List<String> missing = readEveryBlock().askedKeys().stream()
                .filter(key -> !documented.contains(key)).toList();
        assertThat(missing).as("keys Lifeboat accepts that the README's Configuration table lacks").isEmpty();
    }

    @Test
    void everyKeyInTheReference_isOneTheCodeReads() throws Exception {
        ConfigReader reader = readEveryBlock();
        Set<String> known = new LinkedHashSet<>(reader.askedKeys());
        known.addAll(reader.askedBlocks());
        List<String> stale = documentedKeys().stream().filter(key -> !known.contains(key)).toList();
        assertThat(stale).as("keys the README documents that Lifeboat does not accept").isEmpty();
    }

    /** A block the file leaves out is read as empty, and the keys of a block read only when present go unseen. */
    @Test
    void theFixtureWritesEveryBlockTheCodeReads() throws Exception {
        Object root = new Yaml().load(Files.readString(fixture(), StandardCharsets.UTF_8));
        List<String> absent = readEveryBlock().askedBlocks().stream()
                .filter(block -> !written(root, block)).toList();
        assertThat(absent).as("blocks config-reference/every-block.yml leaves out").isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static boolean written(Object root, String block) {
        Object node = root;
        for (String part : block.split("\\.")) {
            boolean list = part.endsWith("[]");
            String name = list ? part.substring(0, part.length() - 2) : part;
            if (!(node instanceof Map<?, ?> map) || !map.containsKey(name)) {
                return false;
            }
            node = map.get(name);
            if (list) {
                if (!(node instanceof List<?> items) || items.isEmpty()) {
                    return false;
                }
                node = items.get(0);
            }
        }
        return true;
    }

    @Test
    void theNotation_isReadAsWritten() {
        Set<String> keys = keysOf(List.of(
                "| `master.*`, `standby.*` | | `host` is required; `port` 5432 |",
                "| `archive.compression`, `.compression_level` | `zstd` | `none` |",
                "| `archive.signing_passphrase[_file]` | none | |",
                "| `archive.targets[]` | none | `name`, `type: s3` (`bucket`, `secret_access_key[_file]`) |",
                "| `snapshots.commands.create` / `.delete` | | `{name}` |"));
        assertThat(keys).containsExactlyInAnyOrder("master.host", "master.port", "standby.host", "standby.port",
                "archive.compression", "archive.compression_level", "archive.signing_passphrase",
                "archive.signing_passphrase_file", "archive.targets[].name", "archive.targets[].type",
                "archive.targets[].bucket", "archive.targets[].secret_access_key",
                "archive.targets[].secret_access_key_file", "snapshots.commands.create", "snapshots.commands.delete");
    }

    /** The keys of the README's Configuration table. */
    private static Set<String> documentedKeys() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int start = readme.indexOf("\n## Configuration\n");
        assertThat(start).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        List<String> rows = readme.substring(start, end).lines()
                .filter(line -> line.startsWith("| `")).toList();
        assertThat(rows).isNotEmpty();
        return keysOf(rows);
    }

    private static Set<String> keysOf(List<String> rows) {
        Set<String> keys = new LinkedHashSet<>();
        for (String row : rows) {
            String[] cells = row.split("(?<!\\\\)\\|");
            String keyCell = cells[1];
            String meaning = cells.length > 3 ? cells[3] : "";
            String block = "";
            Matcher code = CODE.matcher(keyCell);
            while (code.find()) {
                String token = code.group(1).strip();
                String key = token.startsWith(".") ? block + token : token;
                block = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
                if (key.endsWith(".*") || key.endsWith("[]")) {
                    String prefix = key.endsWith(".*") ? key.substring(0, key.length() - 1) : key + ".";
                    Matcher child = CODE.matcher(meaning);
                    while (child.find()) {
                        String name = child.group(1).split("[:\\s]")[0];
                        if (name.matches("[a-z_]+(\\[_file])?")) {
                            expand(prefix + name, keys);
                        }
                    }
                } else {
                    expand(key, keys);
                }
            }
        }
        return keys;
    }

    private static void expand(String key, Set<String> keys) {
        if (key.endsWith("[_file]")) {
            String base = key.substring(0, key.length() - "[_file]".length());
            keys.add(base);
            keys.add(base + "_file");
        } else {
            keys.add(key);
        }
    }
}
