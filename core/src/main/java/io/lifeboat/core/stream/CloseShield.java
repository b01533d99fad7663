package io.lifeboat.core.stream;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Passes bytes through; closing it flushes but leaves the stream below open (the chunker commits or aborts it). */
final class CloseShield extends FilterOutputStream {
    CloseShield(OutputStream downstream) {
        super(downstream);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
    }

    @Override
    public void close() throws IOException {
        out.flush();
    }
}
