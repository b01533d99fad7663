package io.lifeboat.snapshotter.cycle;

/** The outcome of the last {@code snapshot verify}, kept as {@code verification.json} beside the snapshot. */
public record Verification(String outcome, String reason, String checkedAt, long durationMillis) {
    public static final String VERIFIED = "verified";
    public static final String CORRUPT = "corrupt";

    public boolean verified() {
        return VERIFIED.equals(outcome);
    }
}
