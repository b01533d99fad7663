package io.lifeboat.core.storage;

import io.lifeboat.core.error.LifeboatException;

/** The key names no object on the target. */
public class ObjectNotFoundException extends LifeboatException {
    private final String key;
    private final String target;

    public ObjectNotFoundException(String key, String target) {
        super(key + " does not exist on " + target);
        this.key = key;
        this.target = target;
    }

    public String key() {
        return key;
    }

    public String target() {
        return target;
    }
}
