package io.lifeboat.archiver.read;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.ObjectInfo;
import io.lifeboat.core.storage.ObjectNotFoundException;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.StorageTarget;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A target whose failures say they came from the storage: a failed call is a {@link TargetUnreachableException}, a
 * read that breaks off a {@link TargetReadException} (a missing object stays an {@link ObjectNotFoundException}).
 * Whatever wraps them on the way up (chunk reader, decryption), {@link Fault#of} then tells a backup that could not
 * be read from one whose bytes are wrong, by type rather than by message.
 */
final class ClassifyingTarget implements StorageTarget {
    private final StorageTarget target;

    private ClassifyingTarget(StorageTarget target) {
        this.target = target;
    }

    static StorageTarget of(StorageTarget target) {
        return target instanceof ClassifyingTarget ? target : new ClassifyingTarget(target);
    }

    @Override
    public String name() {
        return target.name();
    }

    @Override
    public ObjectOutput create(String key) {
        try {
            return target.create(key);
        } catch (LifeboatException e) {
            throw typed(e);
        }
    }

    @Override
    public InputStream open(String key) {
        InputStream in;
        try {
            in = target.open(key);
        } catch (LifeboatException e) {
            throw typed(e);
        }
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw new TargetReadException(e);
                } catch (LifeboatException e) {
                    throw typed(e);
                }
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                try {
                    return super.read(buffer, offset, length);
                } catch (IOException e) {
                    throw new TargetReadException(e);
                } catch (LifeboatException e) {
                    throw typed(e);
                }
            }
        };
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        try {
            return target.stat(key);
        } catch (LifeboatException e) {
            throw typed(e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        try {
            return target.list(prefix);
        } catch (LifeboatException e) {
            throw typed(e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            target.delete(key);
        } catch (LifeboatException e) {
            throw typed(e);
        }
    }

    @Override
    public void close() {
        target.close();
    }

    @Override
    public String toString() {
        return target.toString();
    }

    private static LifeboatException typed(LifeboatException e) {
        if (e instanceof ObjectNotFoundException || e instanceof TargetUnreachableException) {
            return e;
        }
        return new TargetUnreachableException(e);
    }
}
