package io.lifeboat.core.stream;

import java.io.IOException;
import java.io.InputStream;

/** Undoes one {@link Stage} on the way back: {@link ZstdDecoding} for {@code zstd}, {@link OpenPgpDecryption} for {@code openpgp}. */
public interface Decoding {
    /** The name of the stage this undoes, as recorded in the manifest. */
    String name();

    InputStream wrap(InputStream stored) throws IOException;
}
