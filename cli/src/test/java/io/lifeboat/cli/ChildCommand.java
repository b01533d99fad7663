package io.lifeboat.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** The packaged lifeboat command run as its own JVM (as systemd would run it), its output in a file. */
final class ChildCommand {
    private final Process process;
    private final Path log;

    private ChildCommand(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** A process compiled as the launcher runs {@code run} and {@code sync run}: one that works for a while. */
    static ChildCommand start(Path log, String... args) throws IOException {
        return launch(log, ChildJvm.command("256m", List.of(args)));
    }

    /** @param jvmOptions before {@code -jar}, e.g. a {@code -D} system property */
    static ChildCommand start(Path log, List<String> jvmOptions, String... args) throws IOException {
        return launch(log, ChildJvm.command("256m", jvmOptions, List.of(args)));
    }

    /** A process the test stops or kills seconds after its start: C1 only, as the launcher's short commands. */
    static ChildCommand startShortLived(Path log, String... args) throws IOException {
        return launch(log, ChildJvm.shortLivedCommand("256m", List.of(args)));
    }

    private static ChildCommand launch(Path log, List<String> java) throws IOException {
        // As systemd or a terminal starts it: SIGINT and SIGTERM at their default. A build started in the background
        // by a shell without job control ignores SIGINT, every child inherits that, and a JVM then leaves it ignored
        // (as it should: that is how nohup works), which would make the SIGINT test test the shell.
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT,TERM"));
        command.addAll(java);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ChildCommand(process, log);
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    /** Sends a signal by name ({@code TERM}, {@code INT}) with kill(1), as an operator or systemd would. */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** The exit code, or fails the caller when the process is still running after {@code limit}. */
    int exitCode(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + limit + "; output:\n" + output());
        }
        return process.exitValue();
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> lines() {
        return output().lines().toList();
    }

    /** Kills it if a test left it running. */
    void destroy() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Polls {@code condition} every 200 ms until it holds or {@code limit} passes; returns whether it held. */
    static boolean await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
        return true;
    }
}
