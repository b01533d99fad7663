package io.lifeboat.snapshotter.quiesce;

/** Facts about the master recorded with each snapshot, read on the backup session before the backup begins. */
public record MasterFacts(String systemIdentifier, String serverVersion, int serverVersionNumber, String dataDirectory,
        int timeline) {

    public int majorVersion() {
        return serverVersionNumber / 10000;
    }
}
