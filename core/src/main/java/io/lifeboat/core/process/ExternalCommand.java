package io.lifeboat.core.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import io.lifeboat.core.config.HumanDuration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One run of a child program: an argv (never a shell line), an optional OS user, working directory, extra
 * environment and a timeout. Output is drained on separate threads so a chatty child cannot block on a full pipe.
 * Secrets go in {@link #env}, never in the argv, so they do not show in {@code ps}.
 */
public final class ExternalCommand {
    private static final int STDERR_TAIL_BYTES = 4096;
    private static final int STDOUT_LIMIT_BYTES = 16 << 20;

    private final List<String> argv;
    private String osUser;
    private Path directory;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Duration timeout = Duration.ofMinutes(5);

    private ExternalCommand(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        this.argv = List.copyOf(argv);
    }

    public static ExternalCommand of(String... argv) {
        return new ExternalCommand(List.of(argv));
    }

    public static ExternalCommand of(List<String> argv) {
        return new ExternalCommand(argv);
    }

    /** Runs the program as this OS user when the JVM runs as root (PostgreSQL refuses to run as root). */
    public ExternalCommand asUser(String user) {
        this.osUser = Objects.requireNonNull(user);
        return this;
    }

    public ExternalCommand in(Path workingDirectory) {
        this.directory = workingDirectory;
        return this;
    }

    public ExternalCommand env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public ExternalCommand timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** The short name used in messages: the program's file name. */
    public String name() {
        return Path.of(argv.get(0)).getFileName().toString();
    }

    /** Runs to completion; a non-zero exit or the timeout throws {@link ExternalCommandException}. */
    public Result run() {
        Result result = runAllowingFailure();
        if (result.exitCode() != 0) {
            throw new ExternalCommandException(
                    name() + " failed (exit " + result.exitCode() + ")" + lastLine(result.stderr()),
                    result.exitCode(), result.stderr());
        }
        return result;
    }

    /** Runs to completion and returns whatever exit code the program gave; only the timeout throws. */
    public Result runAllowingFailure() {
        Process process = start();
        OutputDrain stdout = new OutputDrain(process.getInputStream(), STDOUT_LIMIT_BYTES, false);
        OutputDrain stderr = new OutputDrain(process.getErrorStream(), STDERR_TAIL_BYTES, true);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(process);
                process.waitFor(5, TimeUnit.SECONDS);
                String tail = stderr.text(Duration.ofSeconds(1));
                throw new ExternalCommandException(
                        name() + " did not finish within " + HumanDuration.format(timeout) + " and was killed" + lastLine(tail),
                        -1, tail);
            }
            return new Result(process.exitValue(), stdout.text(Duration.ofSeconds(5)), stderr.text(Duration.ofSeconds(5)));
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new ExternalCommandException(name() + " was interrupted", -1, "");
        }
    }

    /**
     * Kills the program and everything it started. The tree is listed first (orphans leave it), then the program
     * dies before its children, so it cannot react to their deaths (a shell would print "Killed" into stderr).
     */
    private static void killTree(Process process) {
        java.util.List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private Process start() {
        List<String> effective = new ArrayList<>(effectiveArgv());
        int program = effective.size() - argv.size();
        effective.set(program, locate(argv.get(0)));
        if (program > 0) {
            effective.set(0, locate(effective.get(0)));
        }
        ProcessBuilder builder = new ProcessBuilder(effective);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        builder.environment().putAll(environment);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return process;
        } catch (IOException e) {
            throw new ExternalCommandException("cannot run " + argv.get(0) + " (" + e.getMessage() + ")", -1, "");
        }
    }

    /**
     * The program to exec: a path as given, a name looked up on the {@code PATH} this command's environment gives
     * the child (the JVM itself would search its own). Not found is a {@link MissingProgramException} naming the
     * package to install, rather than an exec error.
     */
    private String locate(String program) {
        if (program.contains("/")) {
            if (!Files.isExecutable(directory == null ? Path.of(program) : directory.resolve(program))) {
                throw MissingProgramException.of(program);
            }
            return program;
        }
        String path = environment.getOrDefault("PATH", System.getenv("PATH"));
        if (path != null) {
            for (String entry : path.split(":")) {
                Path candidate = Path.of(entry.isEmpty() ? "." : entry, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    // The bare name when the JVM's own search finds the same program: argv[0] stays as written.
                    return environment.containsKey("PATH") ? candidate.toString() : program;
                }
            }
        }
        throw MissingProgramException.of(program);
    }

    List<String> effectiveArgv() {
        if (osUser == null || !OsUser.isRoot() || osUser.equals(OsUser.current())) {
            return argv;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", osUser, "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    private static String lastLine(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return "";
        }
        int newline = trimmed.lastIndexOf('\n');
        return ": " + trimmed.substring(newline + 1).strip();
    }

    /** What the program printed and how it exited. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** Reads one stream to its end on a daemon thread, keeping either its head or its tail within a bound. */
    private static final class OutputDrain {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread thread;
        private final int tailLimit;

        OutputDrain(InputStream in, int limit, boolean keepTail) {
            this.tailLimit = keepTail ? limit : Integer.MAX_VALUE;
            thread = new Thread(() -> drain(in, limit, keepTail), "drain");
            thread.setDaemon(true);
            thread.start();
        }

        private void drain(InputStream in, int limit, boolean keepTail) {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (kept) {
                        if (keepTail) {
                            kept.write(buffer, 0, n);
                            // Trim only at twice the limit, so each byte is copied a bounded number of times.
                            if (kept.size() > 2 * limit) {
                                byte[] all = kept.toByteArray();
                                kept.reset();
                                kept.write(all, all.length - limit, limit);
                            }
                        } else if (kept.size() < limit) {
                            kept.write(buffer, 0, Math.min(n, limit - kept.size()));
                        }
                    }
                }
            } catch (IOException e) {
                // The child closed its end or was killed: what was read so far is all there is.
            }
        }

        String text(Duration wait) throws InterruptedException {
            thread.join(wait.toMillis());
            synchronized (kept) {
                byte[] all = kept.toByteArray();
                int from = Math.max(0, all.length - tailLimit);
                return new String(all, from, all.length - from, StandardCharsets.UTF_8);
            }
        }
    }
}
