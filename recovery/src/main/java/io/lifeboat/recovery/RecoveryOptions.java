package io.lifeboat.recovery;

/**
 * What the operator allowed on the command line.
 *
 * @param force promote although the old master still answers, and move a non-empty target aside
 * @param allowDataLoss take a candidate that loses more than {@code recovery.max_data_loss}
 */
public record RecoveryOptions(boolean force, boolean allowDataLoss) {
    public static final RecoveryOptions NONE = new RecoveryOptions(false, false);
}
