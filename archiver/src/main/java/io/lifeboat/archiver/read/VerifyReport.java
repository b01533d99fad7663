package io.lifeboat.archiver.read;

import java.util.List;

/**
 * What one verification of a backup found.
 *
 * @param backup         the backup, with this verification as its recorded one when it has a manifest
 * @param ok             nothing wrong was found
 * @param problems       one line each, naming the object and what is wrong with it
 * @param contentChecked the dump was also decrypted, decompressed and read by {@code pg_restore --list}
 * @param millis         how long the verification took
 */
public record VerifyReport(StoredBackup backup, boolean ok, List<String> problems, boolean contentChecked, long millis) {
    public VerifyReport {
        problems = List.copyOf(problems);
    }
}
