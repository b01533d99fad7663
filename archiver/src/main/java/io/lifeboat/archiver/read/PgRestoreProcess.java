package io.lifeboat.archiver.read;

import io.lifeboat.core.error.LifeboatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code pg_restore} that reads the dump on its stdin. Its stdout is discarded and the tail of its
 * stderr kept for the message when it fails. Secrets reach it through the environment only.
 */
final class PgRestoreProcess implements AutoCloseable {
    private static final int STDERR_TAIL_BYTES = 8192;
    private static final String ERROR_PREFIX = "pg_restore: error: ";
    private static final String COMMAND_PREFIX = "Command was: ";

    private final Process process;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread stdoutDrain;
    private final Thread stderrDrain;

    private PgRestoreProcess(Process process) {
        this.process = process;
        this.stdoutDrain = drain(process.getInputStream(), null, "pg_restore-stdout");
        this.stderrDrain = drain(process.getErrorStream(), stderr, "pg_restore-stderr");
    }

    static PgRestoreProcess start(List<String> argv, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().putAll(environment);
        try {
            return new PgRestoreProcess(builder.start());
        } catch (IOException e) {
            throw new LifeboatException("cannot run " + argv.get(0) + " (" + e.getMessage() + ")", e);
        }
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Waits for the exit after stdin was closed; returns the exit code. */
    int awaitExit(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new LifeboatException("pg_restore did not exit within " + limit.toSeconds() + " s after its input"
                        + " ended and was killed");
            }
            stdoutDrain.join(5_000);
            stderrDrain.join(5_000);
            return process.exitValue();
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while waiting for pg_restore");
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /**
     * What pg_restore said went wrong, with {@code ": "} in front, or nothing: its last {@code pg_restore: error:}
     * line with the {@code Command was:} line after it, else its last line. With {@code --exit-on-error} the
     * error comes before the command it ran, so the last line alone would show only the command.
     */
    String lastLine() {
        String text;
        synchronized (stderr) {
            text = stderr.toString(StandardCharsets.UTF_8).strip();
        }
        if (text.isEmpty()) {
            return "";
        }
        List<String> lines = text.lines().map(String::strip).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(ERROR_PREFIX)) {
                String error = lines.get(i).substring(ERROR_PREFIX.length()).replaceAll("\\s+", " ");
                String command = i + 1 < lines.size() && lines.get(i + 1).startsWith(COMMAND_PREFIX)
                        ? "; command was: " + lines.get(i + 1).substring(COMMAND_PREFIX.length()) : "";
                return ": " + error + command;
            }
        }
        return ": " + lines.get(lines.size() - 1);
    }

    /** SIGKILL: its connection drops and the server rolls its open transaction back. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream tail, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (tail == null) {
                        continue;
                    }
                    synchronized (tail) {
                        tail.write(buffer, 0, n);
                        if (tail.size() > 2 * STDERR_TAIL_BYTES) {
                            byte[] all = tail.toByteArray();
                            tail.reset();
                            tail.write(all, all.length - STDERR_TAIL_BYTES, STDERR_TAIL_BYTES);
                        }
                    }
                }
            } catch (IOException e) {
                // The process is gone; what was read is all there is.
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
