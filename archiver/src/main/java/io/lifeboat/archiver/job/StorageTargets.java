package io.lifeboat.archiver.job;

import io.lifeboat.core.config.ArchiveConfig;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.core.storage.S3Settings;
import io.lifeboat.core.storage.S3Target;
import io.lifeboat.core.storage.StorageTarget;

/** Opens the storage behind an {@code archive.targets} entry; the one switch over target kinds. */
public final class StorageTargets {
    private StorageTargets() {
    }

    public static StorageTarget open(ArchiveConfig config, String name) {
        return open(config, config.target(name).orElseThrow(() -> new LifeboatException("no target named " + name
                + " in archive.targets (" + String.join(", ", config.targets().stream().map(ArchiveTarget::name)
                .toList()) + ")")));
    }

    public static StorageTarget open(ArchiveConfig config, ArchiveTarget target) {
        BandwidthLimit bandwidth = config.bandwidth().map(BandwidthLimit::perSecond).orElse(BandwidthLimit.unlimited());
        if (target instanceof ArchiveTarget.Filesystem fs) {
            return new FilesystemTarget("fs:" + fs.name(), fs.path(), bandwidth);
        }
        // ArchiveTarget is sealed: a target is a filesystem or S3.
        ArchiveTarget.S3 s3 = (ArchiveTarget.S3) target;
        S3Settings.Builder builder = S3Settings.builder(s3.name(), s3.bucket()).prefix(s3.prefix())
                .region(s3.region()).bandwidth(bandwidth);
        s3.endpoint().ifPresent(builder::endpoint);
        if (s3.pathStyle()) {
            builder.pathStyle();
        }
        s3.storageClass().ifPresent(builder::storageClass);
        s3.serverSideEncryption().ifPresent(builder::serverSideEncryption);
        if (s3.accessKeyId().isPresent() && s3.secretAccessKey().isPresent()) {
            builder.credentials(s3.accessKeyId().get(), s3.secretAccessKey().get());
        }
        return new S3Target(builder.build());
    }
}
