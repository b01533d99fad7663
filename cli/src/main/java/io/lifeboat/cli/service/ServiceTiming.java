package io.lifeboat.cli.service;

import java.time.Duration;

/**
 * The service's own pacing, apart from the schedules the config sets.
 *
 * @param jobRetry how a failed job step is tried again
 * @param replicationRestart how replication is started again after it ended with a failure of its own
 * @param lockCheck how often the service and slot locks are checked (and taken again after a standby restart)
 * @param stopLimit how long a stop waits for jobs and replication before it lets go of what still runs
 */
public record ServiceTiming(Backoff jobRetry, Backoff replicationRestart, Duration lockCheck, Duration stopLimit) {

    public static ServiceTiming defaults() {
        return new ServiceTiming(new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(15), 4),
                new Backoff(Duration.ofSeconds(10), Duration.ofMinutes(5), Integer.MAX_VALUE),
                Duration.ofSeconds(5), Duration.ofSeconds(25));
    }
}
