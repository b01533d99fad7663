package io.lifeboat.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT as a request for a clean stop of a long-running command, which then returns its own exit code.
 *
 * <p>A shutdown hook cannot do this: once the JVM's own handler has started shutting down on a signal, the process
 * exits with 128 + the signal's number whatever the hook does (143 for SIGTERM, which systemd reports as a failure
 * on every stop). So the JVM's handlers are replaced for the command's lifetime through {@code sun.misc.Signal}, the
 * JDK's supported way to do that (module {@code jdk.unsupported}); javac warns about it on every build.
 *
 * <p>A clean stop that does not finish within the grace period, or a second signal, ends the process at once with
 * 128 + the signal's number, as if it had not been handled.
 */
final class StopSignal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StopSignal.class);
    private static final List<String> SIGNALS = List.of("TERM", "INT");

    private final Runnable stop;
    private final Duration grace;
    private final CountDownLatch received = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<Restore> previous = new ArrayList<>();

    private StopSignal(Runnable stop, Duration grace) {
        this.stop = stop;
        this.grace = grace;
    }

    /**
     * Calls {@code stop} on the first SIGTERM or SIGINT; {@link #close()} says the command has stopped cleanly
     * and puts the JVM's handlers back.
     */
    static StopSignal install(Runnable stop, Duration grace) {
        StopSignal signal = new StopSignal(stop, grace);
        for (String name : SIGNALS) {
            try {
                sun.misc.Signal handled = new sun.misc.Signal(name);
                signal.previous.add(new Restore(handled, sun.misc.Signal.handle(handled, signal::handle)));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal to itself (-Xrs, or a debugger): its default handling stays.
                log.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
        return signal;
    }

    /** Whether a stop was asked for; a command checks this before work it must not start. */
    boolean received() {
        return received.getCount() == 0;
    }

    /** Waits up to {@code limit} for a stop to be asked for; true when it was. */
    boolean await(Duration limit) throws InterruptedException {
        return received.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void handle(sun.misc.Signal signal) {
        int status = 128 + signal.getNumber();
        if (received()) {
            log.warn("SIG{} again: exiting without waiting for the clean stop", signal.getName());
            Runtime.getRuntime().halt(status);
        }
        received.countDown();
        log.info("SIG{}: stopping", signal.getName());
        Thread watchdog = new Thread(() -> {
            try {
                if (!finished.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.error("the clean stop did not finish within {} s: exiting", grace.toSeconds());
                    Runtime.getRuntime().halt(status);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "lifeboat-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        stop.run();
    }

    @Override
    public void close() {
        finished.countDown();
        for (Restore restore : previous) {
            sun.misc.Signal.handle(restore.signal(), restore.handler());
        }
    }

    private record Restore(sun.misc.Signal signal, sun.misc.SignalHandler handler) {
    }
}
