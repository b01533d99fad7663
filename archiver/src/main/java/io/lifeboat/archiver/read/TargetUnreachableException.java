package io.lifeboat.archiver.read;

import io.lifeboat.core.error.LifeboatException;

/**
 * A storage target could not be asked (refused or cut connection, timeout, 5xx after the retries, denied
 * credentials, a missing bucket or directory): nothing is known about the backups on it. The message and hint are
 * the target's own.
 */
public class TargetUnreachableException extends LifeboatException {
    TargetUnreachableException(LifeboatException cause) {
        super(cause.getMessage(), cause.hint().orElse(null), cause);
    }
}
