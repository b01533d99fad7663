package io.lifeboat.core.storage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The bytes of one new object. {@link #commit()} makes the object visible under its key, all at once;
 * {@link #close()} without a commit discards everything written, so a failed upload leaves nothing behind.
 * Writing after either is an error.
 */
public abstract class ObjectOutput extends OutputStream {
    /** The key this output will be visible under once committed. */
    public abstract String key();

    /** Makes the object visible; when it returns the object is durable on the target. */
    public abstract void commit() throws IOException;

    /** After {@link #commit()} does nothing; before it, aborts and discards what was written. */
    @Override
    public abstract void close() throws IOException;
}
