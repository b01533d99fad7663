package io.lifeboat.archiver.read;

import java.time.Duration;

/**
 * A finished restore.
 *
 * @param plaintextBytes bytes of the dump fed to pg_restore
 * @param destination    where it went, fit to print (no password)
 * @param roles          what was done about the backup's roles, one line, when the restore creates them (a new
 *                       cluster)
 */
public record RestoreResult(long plaintextBytes, Duration elapsed, String destination,
        java.util.Optional<String> roles) {
}
