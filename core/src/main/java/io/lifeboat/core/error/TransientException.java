package io.lifeboat.core.error;

/** A failure that may pass if the same call is made again: timeouts, resets, 5xx answers, a server starting up. */
public class TransientException extends LifeboatException {
    public TransientException(String message, Throwable cause) {
        super(message, cause);
    }

    public TransientException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
