package io.lifeboat.core.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.stream.Collectors;

/**
 * Writes and reads {@code manifest.json}: pretty-printed, fields in a fixed order, times in ISO-8601 UTC. Reading
 * is strict: an unknown field, a missing one, a wrong type, or a newer format version is refused with a message
 * that names the field, because a manifest restore misreads is worse than none.
 */
public final class ManifestCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ManifestCodec() {
    }

    public static byte[] encode(BackupManifest manifest) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(manifest);
            byte[] withNewline = new byte[json.length + 1];
            System.arraycopy(json, 0, withNewline, 0, json.length);
            withNewline[json.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode manifest " + manifest.id(), e);
        }
    }

    /**
     * @param origin where the bytes came from, for messages, e.g. {@code s3:primary 20261122T020000Z/manifest.json}
     */
    public static BackupManifest decode(byte[] json, String origin) {
        BackupManifest manifest;
        try {
            JsonNode tree = MAPPER.readTree(json);
            if (tree == null || !tree.isObject()) {
                throw invalid(origin, "not a json object", null);
            }
            // Format 1 predates the schema fingerprint: its manifests are read as having none.
            if (tree.path("formatVersion").asInt() == 1 && !tree.has("schemaFingerprint")) {
                ((ObjectNode) tree).putNull("schemaFingerprint");
            }
            // Formats 1 and 2 predate the globals: their backups restore without roles.
            if (tree.path("formatVersion").asInt() <= 2 && !tree.has("globals")) {
                ((ObjectNode) tree).putNull("globals");
            }
            // Formats 1 to 3 predate the master's clock at the backup's position.
            if (tree.path("formatVersion").asInt() <= 3 && !tree.has("masterTime")) {
                ((ObjectNode) tree).putNull("masterTime");
            }
            requireFields(tree, BackupManifest.class, "", origin);
            manifest = MAPPER.treeToValue(tree, BackupManifest.class);
        } catch (UnrecognizedPropertyException e) {
            throw invalid(origin, "unknown field " + path(e, e.getPropertyName()), e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String why = cause instanceof NullPointerException ? "field " + path(e, cause.getMessage()) + " is null"
                    : cause.getMessage();
            throw invalid(origin, why, e);
        } catch (MismatchedInputException e) {
            throw invalid(origin, "field " + path(e, null) + " has the wrong type", e);
        } catch (JsonMappingException e) {
            throw invalid(origin, e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw invalid(origin, "not json (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (manifest.formatVersion() > BackupManifest.FORMAT_VERSION) {
            throw new LifeboatException("manifest " + origin + " is format version " + manifest.formatVersion()
                    + ", newer than this lifeboat reads (" + BackupManifest.FORMAT_VERSION + ")",
                    "restore with lifeboat " + manifest.lifeboatVersion() + " or newer", null);
        }
        if (manifest.formatVersion() < 1) {
            throw invalid(origin, "format version " + manifest.formatVersion() + " does not exist", null);
        }
        return manifest;
    }

    /**
     * Checks that every component of {@code type} is present, recursing into nested records and lists of them, so
     * a missing field is named by its path rather than by Jackson's wording.
     */
    private static void requireFields(JsonNode node, Class<?> type, String path, String origin) {
        if (!node.isObject()) {
            return;
        }
        for (RecordComponent component : type.getRecordComponents()) {
            String name = component.getName();
            String at = path.isEmpty() ? name : path + "." + name;
            JsonNode value = node.get(name);
            if (value == null) {
                throw invalid(origin, "missing field " + at, null);
            }
            if (component.getType().isRecord()) {
                requireFields(value, component.getType(), at, origin);
            } else if (component.getGenericType() instanceof ParameterizedType list
                    && list.getActualTypeArguments()[0] instanceof Class<?> element && element.isRecord()
                    && value.isArray()) {
                for (int i = 0; i < value.size(); i++) {
                    requireFields(value.get(i), element, at + "[" + i + "]", origin);
                }
            }
        }
    }

    /** A JSON path such as {@code source.database} or {@code chunks[2].sha256}. */
    private static String path(JsonMappingException e, String leaf) {
        String parents = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining());
        if (leaf != null && !parents.endsWith("." + leaf)) {
            parents = parents + "." + leaf;
        }
        return parents.startsWith(".") ? parents.substring(1) : parents;
    }

    private static LifeboatException invalid(String origin, String why, Exception cause) {
        return new LifeboatException("manifest " + origin + " is invalid: " + why, cause);
    }
}
