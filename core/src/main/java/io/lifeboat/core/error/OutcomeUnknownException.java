package io.lifeboat.core.error;

/**
 * The call may or may not have taken effect (a commit or an unlock that timed out). Never retried: the message
 * says what the operator must check.
 */
public class OutcomeUnknownException extends LifeboatException {
    public OutcomeUnknownException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
