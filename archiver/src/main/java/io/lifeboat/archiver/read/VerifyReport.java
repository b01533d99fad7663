package io.lifeboat.archiver.read;

import java.util.List;
import java.util.Optional;

/**
 * What one verification of a backup found.
 *
 * @param backup         the backup, with this verification as its recorded one when it has a manifest
 * @param findings       what is wrong, each with its kind (see {@link Fault})
 * @param contentChecked the dump was also decrypted, decompressed and read by {@code pg_restore --list}
 * @param millis         how long the verification took
 */
public record VerifyReport(StoredBackup backup, List<Problem> findings, boolean contentChecked, long millis) {
    public VerifyReport {
        findings = List.copyOf(findings);
    }

    /** Nothing wrong was found. */
    public boolean ok() {
        return findings.isEmpty();
    }

    /** One line each, naming the object and what is wrong with it. */
    public List<String> problems() {
        return findings.stream().map(Problem::text).toList();
    }

    /**
     * The verdict when something is wrong: corrupt when anything stored was found wrong, absent when the backup is
     * gone, else unreachable (nothing could be said about the backup).
     */
    public Optional<Fault> fault() {
        if (findings.isEmpty()) {
            return Optional.empty();
        }
        for (Fault fault : List.of(Fault.CORRUPT, Fault.ABSENT)) {
            if (findings.stream().anyMatch(p -> p.fault() == fault)) {
                return Optional.of(fault);
            }
        }
        return Optional.of(Fault.UNREACHABLE);
    }
}
