package io.lifeboat.core.storage;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A place that keeps backup objects under slash-separated keys ({@code 20261122T020000Z/chunk-00001}). Every
 * failure is a {@link io.lifeboat.core.error.LifeboatException} whose message names the target and the key.
 */
public interface StorageTarget extends AutoCloseable {
    /** {@code s3:primary}, {@code fs:offsite}: appears in every message. */
    String name();

    /** A new object that nobody can see until {@link ObjectOutput#commit()}; closing it without a commit discards it. */
    ObjectOutput create(String key);

    /** The object's bytes; {@link ObjectNotFoundException} if there is no such object. */
    InputStream open(String key);

    Optional<ObjectInfo> stat(String key);

    /** Every committed object whose key starts with {@code prefix}, sorted by key. */
    List<ObjectInfo> list(String prefix);

    /** Removes the object; removing one that does not exist is not an error. */
    void delete(String key);

    @Override
    void close();
}
