package io.lifeboat.snapshotter.verify;

import io.lifeboat.core.error.LifeboatException;

/** The snapshot itself is damaged (as opposed to this machine lacking something to check it with). */
public final class CorruptSnapshotException extends LifeboatException {
    public CorruptSnapshotException(String message) {
        super(message);
    }
}
