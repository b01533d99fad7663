package io.lifeboat.core.process;

import com.sun.security.auth.module.UnixSystem;

/** Who this JVM runs as. */
public final class OsUser {
    private static final UnixSystem SELF = new UnixSystem();

    private OsUser() {
    }

    public static boolean isRoot() {
        return SELF.getUid() == 0;
    }

    public static String current() {
        return SELF.getUsername();
    }
}
