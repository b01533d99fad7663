package io.lifeboat.cli.status;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One line of the status tree: a component (replication, snapshots, …) or a detail under it.
 *
 * @param name what the line is about ({@code replication}, {@code lag}, {@code s3:primary})
 * @param reason why it stands as it does, one line
 * @param at when what the line describes happened (the newest snapshot's time, a job's end): its age is shown
 */
public record Check(String name, Level level, String reason, Optional<Instant> at, List<Check> children) {

    public Check {
        children = List.copyOf(children);
    }

    public static Check of(String name, Level level, String reason) {
        return new Check(name, level, reason, Optional.empty(), List.of());
    }

    public static Check of(String name, Level level, String reason, Optional<Instant> at) {
        return new Check(name, level, reason, at, List.of());
    }

    /** A component whose level is the worst of its lines unless given. */
    public static Check group(String name, String reason, List<Check> children) {
        Level level = children.stream().map(Check::level).reduce(Level.UP, Level::worst);
        return new Check(name, level, reason, Optional.empty(), children);
    }

    public Check withLevel(Level newLevel, String newReason) {
        return new Check(name, newLevel, newReason, at, children);
    }
}
