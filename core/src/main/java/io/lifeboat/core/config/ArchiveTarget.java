package io.lifeboat.core.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** One entry of {@code archive.targets}: where backups are stored. */
public sealed interface ArchiveTarget permits ArchiveTarget.S3, ArchiveTarget.Filesystem {
    String name();

    /** A bucket reached with the S3 protocol; without keys, the AWS default credential chain is used. */
    record S3(String name, String bucket, String prefix, String region, Optional<URI> endpoint, boolean pathStyle,
            Optional<String> storageClass, Optional<String> serverSideEncryption, Optional<String> accessKeyId,
            Optional<Secret> secretAccessKey) implements ArchiveTarget {
    }

    /** A directory, e.g. a mounted offsite disk. */
    record Filesystem(String name, Path path) implements ArchiveTarget {
    }
}
