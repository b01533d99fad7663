package io.lifeboat.cli.status;

import io.lifeboat.core.error.LifeboatException;

/** The catalog cannot be read: the status itself is unknown (exit 3), not bad. */
public final class CatalogUnreadableException extends LifeboatException {
    public CatalogUnreadableException(String message, String hint) {
        super(message, hint, null);
    }
}
