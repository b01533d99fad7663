package io.lifeboat.recovery;

import java.util.Locale;

/** What a candidate turned out to be, as the ladder's table shows it. */
public enum State {
    /** Present and, once verified, healthy. */
    OK,
    /** Not there, not configured or not reachable: nothing is known to be wrong with it. */
    UNAVAILABLE,
    /** There, but it does not start, fails pg_amcheck, does not decrypt or does not match its manifest. */
    CORRUPT,
    /** Not looked at: a newer candidate of the same rung verified, or the walk ended before it. */
    NOT_CHECKED,
    /** It verified, but bringing it up failed (and was undone as far as it could be). */
    FAILED;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
