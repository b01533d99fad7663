package io.lifeboat.cli.service;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One recorded part of a job: a row of its own in {@code lifeboat.job} with {@code kind}, tried again on failure.
 *
 * @param finishesOnStop a stop waits for it rather than interrupting it (a snapshot completes or leaves nothing)
 */
record Step(String kind, Action action, boolean finishesOnStop) {

    static Step of(String kind, Action action) {
        return new Step(kind, action, false);
    }

    static Step finishingOnStop(String kind, Action action) {
        return new Step(kind, action, true);
    }

    @FunctionalInterface
    interface Action {
        /** @throws Exception a failure; a {@link Failure} also carries the detail to record */
        Result run(StepRun run) throws Exception;
    }

    /** What a step reports: one line for the log and the detail, and fields for machines. */
    record Result(String message, Map<String, Object> fields) {
        static Result of(String message) {
            return new Result(message, Map.of());
        }

        Map<String, Object> detail() {
            Map<String, Object> detail = new LinkedHashMap<>(fields);
            detail.put("message", message);
            return detail;
        }
    }

    /** A step that ran but found something wrong (a corrupt snapshot, a table out of sync), with its detail. */
    static final class Failure extends io.lifeboat.core.error.LifeboatException {
        private final transient Map<String, Object> fields;

        Failure(String message, Map<String, Object> fields) {
            super(message);
            this.fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
        }

        Map<String, Object> fields() {
            return fields;
        }
    }
}
