package io.lifeboat.core.storage;

import io.lifeboat.core.config.DataSize;
import java.io.InterruptedIOException;

/**
 * A token bucket shared by everything one target uploads (reads are not limited), so parallel part uploads together stay under the rate.
 * The bucket holds an eighth of a second of bytes: enough to smooth out small writes, too little to let a
 * transfer burst far past the limit.
 */
public final class BandwidthLimit {
    private static final BandwidthLimit UNLIMITED = new BandwidthLimit(0);
    private static final long BURST_NANOS = 125_000_000L;

    private final long bytesPerSecond;
    private long nextFree = System.nanoTime();

    private BandwidthLimit(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    public static BandwidthLimit perSecond(DataSize rate) {
        if (rate.bytes() <= 0) {
            throw new IllegalArgumentException("bandwidth limit must be positive, not " + rate);
        }
        return new BandwidthLimit(rate.bytes());
    }

    public static BandwidthLimit unlimited() {
        return UNLIMITED;
    }

    public boolean isUnlimited() {
        return bytesPerSecond == 0;
    }

    /** Blocks until {@code bytes} more may be sent. */
    public void acquire(long bytes) throws InterruptedIOException {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            long start = Math.max(nextFree, now - BURST_NANOS);
            nextFree = start + bytes * 1_000_000_000L / bytesPerSecond;
            wait = nextFree - now;
        }
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while throttled to " + this);
            }
        }
    }

    @Override
    public String toString() {
        return isUnlimited() ? "unlimited" : DataSize.ofBytes(bytesPerSecond).approximate() + "/s";
    }
}
