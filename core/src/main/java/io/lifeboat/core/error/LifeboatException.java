package io.lifeboat.core.error;

import java.util.Optional;

/**
 * The one unchecked root of every error Lifeboat reports. The message is a single lowercase line that names
 * the object and the cause; the optional hint says what an operator can do about it.
 */
public class LifeboatException extends RuntimeException {
    private final String hint;

    public LifeboatException(String message) {
        this(message, null, null);
    }

    public LifeboatException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public LifeboatException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }
}
