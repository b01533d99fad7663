package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;

/** A candidate is there but proved unhealthy (does not start, pg_amcheck found corruption, cannot be decrypted). */
public class CandidateCorruptException extends LifeboatException {
    public CandidateCorruptException(String message) {
        super(message);
    }

    public CandidateCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}
