package io.lifeboat.cli.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Recoverability at one moment: the tree an operator reads, the overall level (the worst component's), each
 * recovery source's current RPO against {@code recovery.rpo}, and the readings it was judged from (for metrics,
 * alerts and the report).
 */
public record Status(Instant at, Level overall, List<Check> components, List<Source> sources,
        Optional<Duration> rpoTarget, Readings readings) {

    public Status {
        components = List.copyOf(components);
        sources = List.copyOf(sources);
    }

    public Optional<Check> component(String name) {
        return components.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
