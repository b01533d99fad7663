package io.lifeboat.cli.service;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A job of the service: its steps, run in order on the job's own thread whenever the schedule says, so a job
 * never overlaps with itself. A step that fails after its retries does not keep the later steps from running.
 *
 * @param lastDone when the job last did its work, read once at start (from the catalog or the store), so a
 *        restart does not repeat a nightly or daily run
 */
record Job(String name, JobSchedule schedule, List<Step> steps, Supplier<Optional<Instant>> lastDone) {
    Job {
        steps = List.copyOf(steps);
    }
}
