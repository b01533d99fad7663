package io.lifeboat.core.stream;

import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStream;
import io.lifeboat.core.error.LifeboatException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Decompresses what {@link ZstdStage} wrote, checking each frame's checksum. */
public final class ZstdDecoding implements Decoding {
    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public InputStream wrap(InputStream stored) throws IOException {
        ZstdInputStream zstd = new ZstdInputStream(stored);
        return new FilterInputStream(zstd) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (ZstdIOException e) {
                    throw corrupt(e);
                }
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                try {
                    return super.read(buffer, offset, length);
                } catch (ZstdIOException e) {
                    throw corrupt(e);
                }
            }
        };
    }

    private static LifeboatException corrupt(ZstdIOException e) {
        return new LifeboatException("zstd data is corrupt (" + e.getMessage().toLowerCase(java.util.Locale.ROOT) + ")", e);
    }
}
