package io.lifeboat.snapshotter.provider;

import io.lifeboat.core.config.SnapshotsConfig;

/** The one place a provider is picked: an exhaustive switch, no reflection, no class names in config. */
public final class SnapshotProviders {
    private SnapshotProviders() {
    }

    public static SnapshotProvider forConfig(SnapshotsConfig config) {
        return switch (config.provider()) {
            case BTRFS -> new BtrfsProvider(config);
            case LVM -> new LvmProvider(config);
            case ZFS -> new ZfsProvider(config);
            case COPY -> new CopyProvider(config);
            case COMMAND -> new CommandProvider(config);
        };
    }
}
