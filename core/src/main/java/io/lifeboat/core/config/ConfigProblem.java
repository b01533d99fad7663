package io.lifeboat.core.config;

/**
 * One thing wrong (or worth a warning) in a config file, pinned to the key path and line it concerns.
 * Renders as {@code lifeboat.yml:12: archive.chunk_size: 6GiB is over the 5 GiB limit}.
 *
 * @param line 1-based; 0 when the problem has no line (a required block missing from the file)
 */
public record ConfigProblem(String file, int line, String key, String message, Severity severity) {
    public enum Severity { ERROR, WARNING }

    @Override
    public String toString() {
        String where = line > 0 ? file + ":" + line : file;
        String what = key.isEmpty() ? message : key + ": " + message;
        return severity == Severity.WARNING ? where + ": warning: " + what : where + ": " + what;
    }
}
