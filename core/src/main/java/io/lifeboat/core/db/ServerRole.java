package io.lifeboat.core.db;

import java.util.Locale;

/** Which of the two servers Lifeboat talks to; its lowercase name starts every message about that server. */
public enum ServerRole {
    MASTER, STANDBY;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
