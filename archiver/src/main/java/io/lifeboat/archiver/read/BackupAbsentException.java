package io.lifeboat.archiver.read;

import io.lifeboat.core.error.LifeboatException;

/** The backup asked for is not on the target (no such id, or no complete backup at all). */
public class BackupAbsentException extends LifeboatException {
    BackupAbsentException(String message, String hint) {
        super(message, hint, null);
    }
}
