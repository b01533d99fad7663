package io.lifeboat.recovery;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A database a rung brought up, writable and checked.
 *
 * @param host where applications reach it (the {@code {host}} of the switch command)
 * @param dataDirectory its data directory when it runs on this host
 * @param reached the master position the recovered database holds
 * @param checks what was checked, one phrase each (pg_amcheck, the LSN it reached, sequences moved)
 */
public record Recovered(String host, int port, String database, Optional<Path> dataDirectory, Position reached,
        List<String> checks) {
    public Recovered {
        checks = List.copyOf(checks);
    }
}
