package io.lifeboat.core.stream;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * zstd compression with a frame checksum, so corruption is caught on restore even without encryption. With
 * {@code workers > 0} zstd compresses on that many threads of its own. "No compression" is the absence of this
 * stage, not a level.
 */
public final class ZstdStage implements Stage {
    private final int level;
    private final int workers;

    /** Compresses on the writing thread. */
    public ZstdStage(int level) {
        this(level, 0);
    }

    public ZstdStage(int level, int workers) {
        if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel() || level == 0) {
            throw new IllegalArgumentException("zstd level " + level + " is not between 1 and " + Zstd.maxCompressionLevel());
        }
        if (workers < 0) {
            throw new IllegalArgumentException("zstd workers " + workers + " is negative");
        }
        this.level = level;
        this.workers = workers;
    }

    public int level() {
        return level;
    }

    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public OutputStream wrap(OutputStream downstream) throws IOException {
        ZstdOutputStream out = new ZstdOutputStream(downstream);
        out.setLevel(level);
        out.setChecksum(true);
        if (workers > 0) {
            out.setWorkers(workers);
        }
        return out;
    }

    @Override
    public String toString() {
        return "zstd level " + level + (workers > 0 ? " on " + workers + " workers" : "");
    }
}
