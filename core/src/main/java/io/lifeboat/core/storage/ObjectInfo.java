package io.lifeboat.core.storage;

import java.time.Instant;

/** A committed object: its key relative to the target, its size in bytes and when it was last written. */
public record ObjectInfo(String key, long size, Instant lastModified) {
}
