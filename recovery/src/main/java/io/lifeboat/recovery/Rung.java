package io.lifeboat.recovery;

import java.util.List;

/**
 * One way back to a working database, tried in ladder order. {@link #probe} and {@link #verify} are the rung's
 * check: they read sources and make scratch copies, and never change a source. {@link #execute} does exactly the
 * plan, and undoes what it did as far as it can when it fails (a half-restored target is moved aside).
 */
public interface Rung {
    /** {@code promote-standby}: the name in {@code recovery.ladder}, the table and the report. */
    String name();

    /**
     * One probe per candidate, the best first (fan-out rungs such as {@code older-snapshots} give one per snapshot,
     * newest first); never empty: a rung with no candidate says why in a single unavailable probe.
     */
    List<Probe> probe(RecoveryContext context);

    /** Proves a present candidate healthy, or says why it is not; never changes the source. */
    Verification verify(RecoveryContext context, Probe probe);

    /** The steps {@link #execute} will take for a verified candidate, and how long they should take. */
    Plan plan(RecoveryContext context, Probe probe, Verification verification);

    /**
     * Brings the candidate up. On failure it undoes what it can and throws; a {@link LadderStop} means the walk must
     * not go on to other rungs (a fence that failed: any other copy would be a second master too).
     */
    Recovered execute(RecoveryContext context, Plan plan);
}
