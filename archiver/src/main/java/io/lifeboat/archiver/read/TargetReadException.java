package io.lifeboat.archiver.read;

import java.io.IOException;

/** Reading an object's bytes from its target broke off (what {@link TargetUnreachableException} is for a call). */
public class TargetReadException extends IOException {
    TargetReadException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
