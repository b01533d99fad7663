package io.lifeboat.core.process;

import io.lifeboat.core.error.LifeboatException;

/** A child process that exited non-zero or ran past its timeout; carries the tail of its stderr. */
public class ExternalCommandException extends LifeboatException {
    private final int exitCode;
    private final String stderrTail;

    ExternalCommandException(String message, int exitCode, String stderrTail) {
        this(message, null, exitCode, stderrTail);
    }

    ExternalCommandException(String message, String hint, int exitCode, String stderrTail) {
        super(message, hint, null);
        this.exitCode = exitCode;
        this.stderrTail = stderrTail;
    }

    /** The exit code, or -1 when the command was killed at its timeout. */
    public int exitCode() {
        return exitCode;
    }

    public String stderrTail() {
        return stderrTail;
    }
}
