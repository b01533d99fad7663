package io.lifeboat.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A second JVM running the testkit, for tests that kill a JVM and check what it leaves behind. The child prints one
 * line once its resources exist, then waits to be killed (or exits, as asked).
 */
final class ChildJvm implements AutoCloseable {
    private static final String READY = "ready: ";
    private final Process process;
    private final BufferedReader stdout;
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.stderr = stderr;
    }

    /** Starts {@code main(args)} of this class in a new JVM with the test classpath. */
    static ChildJvm start(Path workDirectory, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                ChildJvm.class.getName()));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile(workDirectory, "child-", ".err");
        Process process = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .start();
        return new ChildJvm(process, stderr);
    }

    /** What the child reported once ready; fails with the child's stderr if that does not come in time. */
    String readLine(Duration limit) throws IOException, InterruptedException {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                // Anything else on stdout (a logger, the JVM) is not the child's report.
                for (String next = stdout.readLine(); next != null; next = stdout.readLine()) {
                    if (next.startsWith(READY)) {
                        return next.substring(READY.length());
                    }
                }
                return null;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            String value = line.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (value == null) {
                throw new AssertionError("child jvm ended without output: " + Files.readString(stderr));
            }
            return value;
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("no output from child jvm within " + limit + ": " + Files.readString(stderr), e);
        }
    }

    /** SIGKILL, as {@code kill -9} would: no shutdown hook runs. */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("child jvm " + process.pid() + " survived SIGKILL");
        }
    }

    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("child jvm " + process.pid() + " did not exit within " + limit);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            killHard();
        }
    }

    /**
     * {@code touch-on-death <marker> wait|exit}: arms a reaper that creates the marker, then waits or exits normally.
     * {@code cluster wait|exit}: starts a cluster, prints its directory and postmaster pid, then waits or exits
     * without closing it.
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "touch-on-death":
                Reaper.arm("marker " + args[1], List.of(List.of("touch", args[1])));
                System.out.println(READY + "armed");
                System.out.flush();
                if (args[2].equals("exit")) {
                    return;
                }
                break;
            case "cluster":
                LocalPostgresCluster cluster = (LocalPostgresCluster) PostgresCluster.builder().start();
                long pid = cluster.postmaster().orElseThrow().pid();
                System.out.println(READY + cluster.directory() + " " + pid);
                System.out.flush();
                if (args[1].equals("exit")) {
                    return;
                }
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
        // Bounded, so a test that forgets to kill the child does not leave it behind for long.
        Thread.sleep(TimeUnit.MINUTES.toMillis(2));
    }
}
