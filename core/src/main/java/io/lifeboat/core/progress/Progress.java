package io.lifeboat.core.progress;

import io.lifeboat.core.config.DataSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a long operation (a sync's copy, an archive run, a restore, a verification) has got. On a terminal it
 * draws me.tongfei's progress bar on stderr (done, total, rate, ETA); elsewhere (a service, a pipe, a log file)
 * it logs one INFO line at most every {@link #LOG_INTERVAL}, e.g.
 * {@code archive run: 1.2 GiB of 4.0 GiB (30 %), 85.0 MiB/s, ETA 36 s}, so a log shows the operation is moving
 * without a line per chunk. An operation shorter than the interval logs nothing. Safe to call from several threads.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    public static final Duration LOG_INTERVAL = Duration.ofSeconds(10);
    private static final long MEBIBYTE = 1024L * 1024;

    /** How an operation starts its progress: {@link Progress#start} in use, lines on a test's clock in tests. */
    @FunctionalInterface
    public interface Start {
        Progress start(String task, Unit unit, long max);
    }

    /** What is counted. */
    public enum Unit {
        BYTES, ROWS
    }

    private final String task;
    private final Unit unit;
    private final ProgressBar bar;
    private final LongSupplier nanoClock;
    private final Consumer<String> log;
    private final long begin;
    private long nextLog;
    private long done;
    private long max;
    private boolean closed;

    private Progress(String task, Unit unit, long max, ProgressBar bar, LongSupplier nanoClock,
            Consumer<String> log) {
        this.task = task;
        this.unit = unit;
        this.max = max;
        this.bar = bar;
        this.nanoClock = nanoClock;
        this.log = log;
        this.begin = nanoClock.getAsLong();
        this.nextLog = begin + LOG_INTERVAL.toNanos();
    }

    /**
     * @param task what is being done, first on the bar and in each line, e.g. {@code archive run}
     * @param max the total expected, or a negative number when it is not known (then no percentage and no ETA)
     */
    public static Progress start(String task, Unit unit, long max) {
        if (onTerminal()) {
            ProgressBarBuilder builder = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(max < 0 ? -1 : max)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err))
                    .setUpdateIntervalMillis(250)
                    .setSpeedUnit(ChronoUnit.SECONDS)
                    .showSpeed();
            if (unit == Unit.BYTES) {
                builder.setUnit(" MiB", MEBIBYTE);
            } else {
                builder.setUnit(" rows", 1);
            }
            return new Progress(task, unit, max, builder.build(), System::nanoTime, line -> { });
        }
        return logging(task, unit, max, System::nanoTime, LOG::info);
    }

    /**
     * Lines only, whatever the terminal, on the given clock (nanoseconds, like {@link System#nanoTime()}), sent to
     * log rather than logged: for tests.
     */
    public static Progress logging(String task, Unit unit, long max, LongSupplier nanoClock, Consumer<String> log) {
        return new Progress(task, unit, max, null, nanoClock, log);
    }

    /** Adds count to what is done. */
    public synchronized void step(long count) {
        stepTo(done + count);
    }

    /** What is done so far, in all. */
    public synchronized void stepTo(long total) {
        if (closed) {
            return;
        }
        done = total;
        if (max >= 0 && done > max) {
            // An estimate (pg_class.reltuples, a database's size) fell short: the total is at least what is done.
            max = done;
            if (bar != null) {
                bar.maxHint(max);
            }
        }
        if (bar != null) {
            bar.stepTo(done);
            return;
        }
        long now = nanoClock.getAsLong();
        if (now - nextLog >= 0) {
            log.accept(line(now));
            nextLog = now + LOG_INTERVAL.toNanos();
        }
    }

    /** A better idea of the total, e.g. once the size of what is read is known; negative for unknown. */
    public synchronized void maxHint(long total) {
        max = total < 0 ? -1 : Math.max(total, done);
        if (bar != null) {
            bar.maxHint(max);
        }
    }

    /** Ends the bar's line on a terminal; nothing more is shown or logged after. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bar != null) {
            bar.close();
        }
    }

    /** {@code archive run: 1.2 GiB of 4.0 GiB (30 %), 85.0 MiB/s, ETA 36 s}. */
    String line(long now) {
        double seconds = Math.max(1e-3, (now - begin) / 1e9);
        double rate = done / seconds;
        StringBuilder line = new StringBuilder(task).append(": ").append(amount(done));
        if (max >= 0) {
            line.append(" of ").append(amount(max))
                    .append(String.format(Locale.ROOT, " (%d %%)", max == 0 ? 100 : done * 100 / max));
        }
        line.append(", ").append(unit == Unit.BYTES ? DataSize.ofBytes((long) rate).approximate() + "/s"
                : String.format(Locale.ROOT, "%d rows/s", (long) rate));
        if (max >= 0 && rate > 0) {
            line.append(", ETA ").append(duration((long) Math.ceil((max - done) / rate)));
        }
        return line.toString();
    }

    private String amount(long count) {
        return unit == Unit.BYTES ? DataSize.ofBytes(count).approximate() : count + " rows";
    }

    /** {@code 36 s}, {@code 12 min 5 s}, {@code 3 h 20 min}. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }

    /**
     * A person is watching: a console (stdin and stdout are terminals) and stderr, where the bar is drawn, is a
     * terminal too (Java 17 cannot ask about stderr directly; Linux names its file in /proc).
     */
    static boolean onTerminal() {
        if (System.console() == null) {
            return false;
        }
        try {
            String stderr = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return stderr.startsWith("/dev/pts/") || stderr.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }
}
