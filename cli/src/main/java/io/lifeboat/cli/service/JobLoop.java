package io.lifeboat.cli.service;

import io.lifeboat.core.config.HumanDuration;
import io.lifeboat.core.error.LifeboatException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one {@link Job} on a thread of its own until stopped: waits for the schedule, runs each step, records every
 * attempt in the catalog and logs its start and end (duration and outcome), and tries a failed step again with
 * {@link Backoff}. Nothing a step throws ends the loop.
 */
final class JobLoop {
    private static final Logger log = LoggerFactory.getLogger(JobLoop.class);
    /** Sleeps are cut into pieces this long, so a clock that jumps (NTP, suspend) is noticed. */
    private static final Duration LONGEST_SLEEP = Duration.ofMinutes(1);

    private final Job job;
    private final JobHistory history;
    private final Backoff backoff;
    private final Clock clock;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final Thread thread;
    private volatile StepRun running;
    private volatile Step runningStep;
    private volatile OptionalLong runningRow = OptionalLong.empty();

    JobLoop(Job job, JobHistory history, Backoff backoff, Clock clock) {
        this.job = job;
        this.history = history;
        this.backoff = backoff;
        this.clock = clock;
        this.thread = new Thread(this::loop, "lifeboat-job-" + job.name());
        thread.setDaemon(true);
    }

    String name() {
        return job.name();
    }

    void start() {
        thread.start();
    }

    /** Asks the loop to end: a step that may be interrupted is, one that finishes on stop is waited for. */
    void stop() {
        stopRequested.countDown();
        StepRun run = running;
        Step step = runningStep;
        if (run != null) {
            run.stop();
            if (step != null && !step.finishesOnStop()) {
                thread.interrupt();
            }
        }
    }

    /** Waits for the loop to end; false when it still runs after {@code limit}. */
    boolean await(Duration limit) throws InterruptedException {
        thread.join(Math.max(1, limit.toMillis()));
        return !thread.isAlive();
    }

    /** Marks the attempt still running as failed: the process is about to end without it. */
    void abandon() {
        Step step = runningStep;
        if (step != null) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("message", step.kind() + " did not finish");
            detail.put("error", "the service stopped before it finished");
            history.fail(runningRow, detail);
        }
    }

    private boolean stopping() {
        return stopRequested.getCount() == 0;
    }

    private void loop() {
        MDC.put("job", job.name());
        Optional<Instant> last = lastDone();
        try {
            while (!stopping()) {
                Instant due = job.schedule().next(clock.instant(), last);
                if (due.isAfter(clock.instant())) {
                    log.info("{}: next run at {} ({})", job.name(), due.truncatedTo(ChronoUnit.SECONDS), job.schedule());
                }
                if (!sleepUntil(due)) {
                    return;
                }
                Instant began = clock.instant();
                for (Step step : job.steps()) {
                    if (stopping()) {
                        return;
                    }
                    runWithRetries(step);
                }
                last = Optional.of(began);
            }
        } catch (InterruptedException e) {
            // Stopping: the loop ends here.
        } finally {
            MDC.remove("job");
        }
    }

    /** When the job last did its work; not knowing (an unreadable store or catalog) counts as never. */
    private Optional<Instant> lastDone() {
        try {
            return job.lastDone().get();
        } catch (RuntimeException e) {
            log.warn("{}: cannot tell when it last ran ({}); counting it as not run", job.name(), reason(e));
            return Optional.empty();
        }
    }

    private void runWithRetries(Step step) throws InterruptedException {
        for (int attempt = 1; attempt <= backoff.attempts(); attempt++) {
            if (attempt(step, attempt)) {
                return;
            }
            if (stopping()) {
                return;
            }
            if (attempt < backoff.attempts()) {
                Duration wait = backoff.after(attempt);
                log.atInfo().addKeyValue("retry_in_ms", wait.toMillis())
                        .log("{}: trying again in {} (attempt {} of {} next)", step.kind(),
                                HumanDuration.format(wait), attempt + 1, backoff.attempts());
                if (stopRequested.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } else {
                log.atError().addKeyValue("attempts", attempt)
                        .log("{}: failed {} times in a row; next at its next scheduled run", step.kind(), attempt);
            }
        }
    }

    /** One attempt, recorded and logged; true when it succeeded. */
    private boolean attempt(Step step, int attempt) {
        MDC.put("job", step.kind());
        StepRun run = new StepRun();
        runningStep = step;
        running = run;
        OptionalLong row = history.begin(step.kind());
        runningRow = row;
        if (stopping()) {
            run.stop();
        }
        long started = System.nanoTime();
        log.atInfo().addKeyValue("attempt", attempt).addKeyValue("job_id", row.isPresent() ? row.getAsLong() : null)
                .log("{}: started{}", step.kind(), attempt > 1 ? " (attempt " + attempt + " of " + backoff.attempts() + ")"
                        : "");
        try {
            Step.Result result = step.action().run(run);
            long millis = (System.nanoTime() - started) / 1_000_000;
            Map<String, Object> detail = result.detail();
            detail.put("duration_ms", millis);
            history.succeed(row, detail);
            log.atInfo().addKeyValue("outcome", "succeeded").addKeyValue("duration_ms", millis)
                    .log("{}: succeeded in {}: {}", step.kind(), seconds(millis), result.message());
            return true;
        } catch (Exception | LinkageError | AssertionError e) {
            long millis = (System.nanoTime() - started) / 1_000_000;
            String reason = stopping() ? "stopped before it finished (the service is stopping)" : reason(e);
            Map<String, Object> detail = new LinkedHashMap<>();
            if (e instanceof Step.Failure failure) {
                detail.putAll(failure.fields());
            }
            detail.put("message", step.kind() + " failed");
            detail.put("error", reason);
            detail.put("attempt", attempt);
            detail.put("duration_ms", millis);
            history.fail(row, detail);
            log.atWarn().addKeyValue("outcome", "failed").addKeyValue("duration_ms", millis)
                    .log("{}: failed in {}: {}", step.kind(), seconds(millis), reason);
            log.debug("{} failure", step.kind(), e);
            return false;
        } finally {
            running = null;
            runningStep = null;
            runningRow = OptionalLong.empty();
            Thread.interrupted(); // an interrupt meant for this step must not cut the next wait short
            if (stopping()) {
                Thread.currentThread().interrupt();
            }
            MDC.put("job", job.name());
        }
    }

    private boolean sleepUntil(Instant due) throws InterruptedException {
        while (true) {
            long left = Duration.between(clock.instant(), due).toMillis();
            if (left <= 0) {
                return !stopping();
            }
            if (stopRequested.await(Math.min(left, LONGEST_SLEEP.toMillis()), TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
    }

    static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("").strip();
        if (e instanceof LifeboatException) {
            return message;
        }
        return message.isEmpty() ? e.getClass().getSimpleName() : message;
    }

    private static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
