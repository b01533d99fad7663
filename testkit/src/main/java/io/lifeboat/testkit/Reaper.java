package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A detached watchdog that runs cleanup commands once this JVM is gone, however it died (kill -9 included).
 *
 * <p>The watchdog is {@code setsid sh} reading one line from a pipe whose only writer is this JVM. {@link #disarm()}
 * sends {@code disarm}; anything else, including end-of-file when the kernel closes the pipe of a dead JVM, makes it
 * run the commands. A pipe rather than polling {@code kill -0 <pid>} reacts at once and cannot be fooled by a reused
 * pid. On an orderly JVM exit a shutdown hook reaps every armed watchdog, newest first, and waits for it, so
 * resources built on top of others (a cluster on a btrfs volume) are released before what they sit on.
 */
public final class Reaper {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);
    private static final Duration SHUTDOWN_LIMIT = Duration.ofSeconds(90);
    private static final Set<Reaper> ARMED = Collections.synchronizedSet(new LinkedHashSet<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Reaper::reapAll, "lifeboat-reaper"));
    }

    private final String what;
    private final Process watchdog;
    private final OutputStream lifeline;
    private boolean released;

    private Reaper(String what, Process watchdog) {
        this.what = what;
        this.watchdog = watchdog;
        this.lifeline = watchdog.getOutputStream();
    }

    /**
     * Starts a watchdog that runs {@code commands} in order (each an argv, as this JVM's OS user) when this JVM dies
     * or {@link #reap} is called. A failing command does not stop the ones after it.
     */
    public static Reaper arm(String what, List<List<String>> commands) {
        StringBuilder script = new StringBuilder()
                .append("trap '' HUP INT\n")
                .append("read -r order\n")
                .append("[ \"$order\" = disarm ] && exit 0\n");
        for (List<String> argv : commands) {
            script.append(argv.stream().map(Reaper::quote).collect(Collectors.joining(" "))).append('\n');
        }
        ProcessBuilder builder = new ProcessBuilder("setsid", "--wait", "sh", "-c", script.toString())
                // Outside every mount we create, so the watchdog never keeps one busy.
                .directory(new File("/"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            Reaper reaper = new Reaper(what, builder.start());
            ARMED.add(reaper);
            LOG.debug("armed reaper {} for {}", reaper.watchdog.pid(), what);
            return reaper;
        } catch (IOException e) {
            throw new LifeboatException("cannot start the reaper for " + what + " (" + e.getMessage() + ")",
                    "setsid and sh must be on the PATH", e);
        }
    }

    /** The cleanup is no longer needed: the owner released the resource itself. */
    public synchronized void disarm() {
        if (released) {
            return;
        }
        released = true;
        ARMED.remove(this);
        try {
            send("disarm");
        } catch (IOException e) {
            LOG.warn("reaper for {} was already gone ({})", what, e.getMessage());
        }
    }

    /** Runs the cleanup now and waits for it to finish. */
    public synchronized void reap(Duration limit) {
        if (released) {
            return;
        }
        released = true;
        ARMED.remove(this);
        try {
            send("reap");
            if (!watchdog.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new LifeboatException("cleanup of " + what + " did not finish within " + limit.toSeconds() + " s");
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot clean up " + what + " (its reaper is gone: " + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while cleaning up " + what, e);
        }
    }

    /** The watchdog's process id, for tests that check it runs detached. */
    public long pid() {
        return watchdog.pid();
    }

    private void send(String order) throws IOException {
        try (lifeline) {
            lifeline.write((order + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void reapAll() {
        List<Reaper> armed;
        synchronized (ARMED) {
            armed = new ArrayList<>(ARMED);
        }
        Collections.reverse(armed);
        long deadline = System.nanoTime() + SHUTDOWN_LIMIT.toNanos();
        for (Reaper reaper : armed) {
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0));
            try {
                reaper.reap(left.isZero() ? Duration.ofMillis(1) : left);
            } catch (RuntimeException e) {
                // A watchdog that ran out of time goes on with its cleanup after this JVM has exited.
                LOG.warn("{}", e.getMessage());
            }
        }
    }

    private static String quote(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }
}
