package io.lifeboat.core.manifest;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** One stored object of a backup: its key on the target, its size and the SHA-256 (lower-case hex) of its bytes. */
@JsonPropertyOrder({"key", "size", "sha256"})
public record ChunkEntry(String key, long size, String sha256) {
    public ChunkEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sha256, "sha256");
        if (size < 0) {
            throw new IllegalArgumentException("chunk " + key + " has negative size " + size);
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("chunk " + key + " has sha256 '" + sha256 + "', not 64 lower-case hex digits");
        }
    }
}
