package io.lifeboat.archiver.read;

import io.lifeboat.core.storage.ObjectNotFoundException;
import java.util.Locale;

/**
 * What kind of wrong a problem with a backup is, by what the caller can do about it: an {@code ABSENT} backup is not
 * there (look elsewhere); a {@code CORRUPT} one is there and wrong (hash, size, signature, decryption, format: never
 * restore from it); an {@code UNREACHABLE} one could not be read (network, timeouts, 5xx, credentials, local I/O:
 * try again, it says nothing about the backup).
 */
public enum Fault {
    ABSENT, CORRUPT, UNREACHABLE;

    /** {@code absent}, {@code corrupt}, {@code unreachable}: as verification records and messages say it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The fault of a failure that reading a backup ran into: unreachable when the storage failed on the way (typed
     * by {@link BackupStore}'s view of its target) or the local spool could not be written, absent when an object
     * is not there, else the bytes themselves were wrong.
     */
    static Fault of(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof TargetUnreachableException || cause instanceof TargetReadException
                    || cause instanceof java.nio.file.FileSystemException) {
                return UNREACHABLE;
            }
            if (cause instanceof ObjectNotFoundException) {
                return ABSENT;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return CORRUPT;
    }
}
