package io.lifeboat.core.server;

import java.util.List;

/**
 * What one {@code pg_amcheck --heapallindexed} run found, and what it could not look at: its exit code alone is no
 * proof, since it checks only B-tree indexes and tables (with their TOAST) in databases that allow connections.
 *
 * @param exitCode 0 clean, 2 corruption found, anything else the tool failed to check
 * @param detail the first lines of what it printed
 * @param notChecked what the run did not cover, one phrase each ({@code 2 gin indexes in app}, {@code template0})
 */
public record AmcheckReport(int exitCode, String detail, List<String> notChecked) {
    public AmcheckReport {
        notChecked = List.copyOf(notChecked);
    }

    public boolean clean() {
        return exitCode == 0;
    }

    public boolean corruptionFound() {
        return exitCode == 2;
    }

    /** {@code pg_amcheck --heapallindexed clean; not checked: 2 gin indexes in app, template0}. */
    public String summary() {
        String outcome = clean() ? "pg_amcheck --heapallindexed clean"
                : corruptionFound() ? "pg_amcheck found corruption: " + detail
                : "pg_amcheck could not check (exit " + exitCode + "): " + detail;
        return notChecked.isEmpty() ? outcome : outcome + "; not checked: " + String.join(", ", notChecked);
    }
}
