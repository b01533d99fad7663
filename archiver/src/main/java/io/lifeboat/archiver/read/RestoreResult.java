package io.lifeboat.archiver.read;

import java.time.Duration;

/**
 * A finished restore.
 *
 * @param plaintextBytes bytes of the dump fed to pg_restore
 * @param destination    where it went, fit to print (no password)
 */
public record RestoreResult(long plaintextBytes, Duration elapsed, String destination) {
}
