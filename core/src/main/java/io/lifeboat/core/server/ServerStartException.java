package io.lifeboat.core.server;

import io.lifeboat.core.error.LifeboatException;
import java.nio.file.Path;

/** PostgreSQL did not start on a data directory; the message carries the server's own reason. */
public class ServerStartException extends LifeboatException {
    private final String reason;

    ServerStartException(Path dataDirectory, String reason) {
        super("PostgreSQL does not start on " + dataDirectory + ": " + reason);
        this.reason = reason;
    }

    /** The server's words alone, e.g. {@code FATAL:  could not access file "nope": No such file or directory}. */
    public String reason() {
        return reason;
    }
}
