package io.lifeboat.snapshotter.verify;

import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import io.lifeboat.snapshotter.cycle.Verification;

/** Where verification outcomes are recorded besides the snapshot itself (the catalog). */
public interface VerificationLog {
    VerificationLog NONE = (snapshot, verification) -> { };

    void record(StoredSnapshot snapshot, Verification verification);
}
