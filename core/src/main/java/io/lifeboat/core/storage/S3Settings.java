package io.lifeboat.core.storage;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.Secret;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how an {@link S3Target} stores objects. Without an access key the AWS default credential chain
 * (environment, profile, instance role) is used. Build with {@link #builder(String, String)}.
 *
 * @param name                 the target's name without {@code s3:}, e.g. {@code primary}
 * @param prefix               prepended to every key; empty or ending in {@code /}
 * @param endpoint             for S3-compatible servers (MinIO, Ceph, s3proxy); empty means AWS
 * @param pathStyle            {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
 * @param storageClass         e.g. {@code STANDARD_IA}, {@code GLACIER_IR}; empty means the bucket's default
 * @param serverSideEncryption {@code AES256} or {@code aws:kms}; empty means the bucket's default
 * @param partSize             multipart part size, at least 5 MiB (S3's minimum); memory use is
 *                             {@code (partsInFlight + 1) × partSize} per upload
 * @param partsInFlight        parts uploaded at the same time
 * @param bandwidth            shared by every upload of this target
 */
public record S3Settings(
        String name,
        String bucket,
        String prefix,
        String region,
        Optional<URI> endpoint,
        boolean pathStyle,
        Optional<String> storageClass,
        Optional<String> serverSideEncryption,
        Optional<String> accessKeyId,
        Optional<Secret> secretAccessKey,
        DataSize partSize,
        int partsInFlight,
        BandwidthLimit bandwidth) {

    public static final DataSize MINIMUM_PART_SIZE = DataSize.ofMebibytes(5);
    public static final DataSize DEFAULT_PART_SIZE = DataSize.ofMebibytes(16);
    public static final int DEFAULT_PARTS_IN_FLIGHT = 3;

    public S3Settings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(region, "region");
        prefix = prefix == null || prefix.isEmpty() || prefix.endsWith("/") ? Objects.requireNonNullElse(prefix, "")
                : prefix + "/";
        if (partSize.compareTo(MINIMUM_PART_SIZE) < 0) {
            throw new IllegalArgumentException("s3:" + name + " part size " + partSize + " is under S3's 5 MiB minimum");
        }
        if (partsInFlight < 1) {
            throw new IllegalArgumentException("s3:" + name + " needs at least one part in flight, not " + partsInFlight);
        }
        if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
            throw new IllegalArgumentException("s3:" + name + " needs both an access key id and a secret access key, or neither");
        }
    }

    public static Builder builder(String name, String bucket) {
        return new Builder(name, bucket);
    }

    /** Starts from these settings, e.g. to change the credentials in a test. */
    public Builder toBuilder() {
        Builder b = new Builder(name, bucket).prefix(prefix).region(region)
                .partSize(partSize).partsInFlight(partsInFlight).bandwidth(bandwidth);
        b.pathStyle = pathStyle;
        b.endpoint = endpoint;
        b.storageClass = storageClass;
        b.serverSideEncryption = serverSideEncryption;
        b.accessKeyId = accessKeyId;
        b.secretAccessKey = secretAccessKey;
        return b;
    }

    /** Defaults: region us-east-1, no prefix, virtual-host style, 16 MiB parts, 3 in flight, no bandwidth limit. */
    public static final class Builder {
        private final String name;
        private final String bucket;
        private String prefix = "";
        private String region = "us-east-1";
        private Optional<URI> endpoint = Optional.empty();
        private boolean pathStyle;
        private Optional<String> storageClass = Optional.empty();
        private Optional<String> serverSideEncryption = Optional.empty();
        private Optional<String> accessKeyId = Optional.empty();
        private Optional<Secret> secretAccessKey = Optional.empty();
        private DataSize partSize = DEFAULT_PART_SIZE;
        private int partsInFlight = DEFAULT_PARTS_IN_FLIGHT;
        private BandwidthLimit bandwidth = BandwidthLimit.unlimited();

        private Builder(String name, String bucket) {
            this.name = name;
            this.bucket = bucket;
        }

        public Builder prefix(String value) {
            prefix = value;
            return this;
        }

        public Builder region(String value) {
            region = value;
            return this;
        }

        public Builder endpoint(URI value) {
            endpoint = Optional.of(value);
            return this;
        }

        /** Path-style addressing, which most S3-compatible servers need. */
        public Builder pathStyle() {
            pathStyle = true;
            return this;
        }

        public Builder storageClass(String value) {
            storageClass = Optional.of(value);
            return this;
        }

        public Builder serverSideEncryption(String value) {
            serverSideEncryption = Optional.of(value);
            return this;
        }

        public Builder credentials(String accessKey, Secret secretKey) {
            accessKeyId = Optional.of(accessKey);
            secretAccessKey = Optional.of(secretKey);
            return this;
        }

        public Builder partSize(DataSize value) {
            partSize = value;
            return this;
        }

        public Builder partsInFlight(int value) {
            partsInFlight = value;
            return this;
        }

        public Builder bandwidth(BandwidthLimit value) {
            bandwidth = value;
            return this;
        }

        public S3Settings build() {
            return new S3Settings(name, bucket, prefix, region, endpoint, pathStyle, storageClass,
                    serverSideEncryption, accessKeyId, secretAccessKey, partSize, partsInFlight, bandwidth);
        }
    }
}
