package io.lifeboat.core.stream;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One transformation of the archive stream (compression, encryption). A stage's stream, when closed, finishes
 * its format and then closes the stream below it; it never commits anything.
 */
public interface Stage {
    /** {@code zstd}, {@code openpgp}: recorded in the manifest, which restore reads instead of file extensions. */
    String name();

    OutputStream wrap(OutputStream downstream) throws IOException;
}
