package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;

/**
 * A failure after which no rung may be tried: fencing the old master failed, or it still answers. Bringing up any
 * other copy would then risk two masters taking writes, so the walk ends and an operator decides.
 */
public class LadderStop extends LifeboatException {
    public LadderStop(String message, String hint) {
        super(message, hint, null);
    }
}
