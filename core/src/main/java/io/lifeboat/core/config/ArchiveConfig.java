package io.lifeboat.core.config;

import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.retention.RetentionSchedule;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code archive} block: how offsite dumps are compressed, encrypted, cut and shipped, and how long they stay.
 *
 * @param compressionLevel the zstd level; empty for {@code compression: none}
 * @param recipients public key files the dumps are encrypted to (only public keys ever live on the server)
 * @param signingKey an optional secret key file whose key signs each manifest
 * @param bandwidth the upload limit per target, bytes per second
 * @param workDirectory where restore and verify spool one chunk at a time
 */
public record ArchiveConfig(
        DataSize chunkSize,
        OptionalInt compressionLevel,
        List<Path> recipients,
        Optional<Path> signingKey,
        Optional<Secret> signingPassphrase,
        Optional<DataSize> bandwidth,
        RetentionSchedule retention,
        Path workDirectory,
        List<ArchiveTarget> targets) {
    public static final DataSize DEFAULT_CHUNK_SIZE = DataSize.ofGibibytes(4);
    /** S3 takes at most 5 GiB in a single PUT, and a chunk is one object. */
    public static final DataSize CHUNK_SIZE_LIMIT = DataSize.ofGibibytes(5);
    public static final DataSize CHUNK_SIZE_MINIMUM = DataSize.ofMebibytes(1);
    /** Level 1: on a busy 2-core host compression is the pipeline's largest CPU cost; higher levels gain little on dumps. */
    public static final int DEFAULT_COMPRESSION_LEVEL = 1;
    public static final String DEFAULT_RETENTION = "1d,7d/90d";
    private static final Pattern TARGET_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

    public Optional<ArchiveTarget> target(String name) {
        return targets.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    static ArchiveConfig read(ConfigSection section) {
        DataSize chunkSize = section.parsed("chunk_size", DataSize::parse).orElse(DEFAULT_CHUNK_SIZE);
        if (chunkSize.compareTo(CHUNK_SIZE_LIMIT) >= 0) {
            section.error("chunk_size", chunkSize.equals(CHUNK_SIZE_LIMIT)
                    ? chunkSize + " is at the 5 GiB limit; chunks must stay below it"
                    : chunkSize + " is over the 5 GiB limit");
        } else if (chunkSize.compareTo(CHUNK_SIZE_MINIMUM) < 0) {
            section.error("chunk_size", chunkSize + " is under the 1 MiB minimum");
        }
        String compression = section.string("compression").orElse("zstd").strip().toLowerCase(Locale.ROOT);
        OptionalInt level = OptionalInt.empty();
        Optional<Integer> configuredLevel = section.integer("compression_level", 1, 19);
        switch (compression) {
            case "zstd" -> level = OptionalInt.of(configuredLevel.orElse(DEFAULT_COMPRESSION_LEVEL));
            case "none" -> configuredLevel.ifPresent(l -> section.error("compression_level",
                    "set, but compression is none"));
            default -> section.error("compression", "'" + compression + "' is not zstd or none");
        }
        section.string("format").ifPresent(format -> {
            if (!format.strip().equals("custom")) {
                section.error("format", "'" + format + "' is not supported: only custom can be streamed without"
                        + " writing the whole dump to local disk");
            }
        });
        List<Path> recipients = section.stringList("recipients").stream().map(section.reader()::resolve).toList();
        recipients.stream().filter(OpenPgp::looksLikeSecretKey).forEach(file -> section.error("recipients", file
                + " is a secret key: give the public key (gpg --export --armor KEY > FILE); the server needs no"
                + " secret key"));
        Optional<Path> signingKey = section.string("signing_key").map(section.reader()::resolve);
        Optional<Secret> signingPassphrase = SecretValue.read(section, "signing_passphrase");
        Optional<DataSize> bandwidth = section.parsed("bandwidth", ArchiveConfig::rate);
        RetentionSchedule retention = section.parsed("retention", RetentionSchedule::parse)
                .orElseGet(() -> RetentionSchedule.parse(DEFAULT_RETENTION));
        Path workDirectory = section.string("work_directory").map(Path::of)
                .orElse(Path.of(System.getProperty("java.io.tmpdir")));
        List<ArchiveTarget> targets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigSection target : section.sectionList("targets")) {
            readTarget(target).ifPresent(t -> {
                if (!names.add(t.name())) {
                    target.error("name", "'" + t.name() + "' names two targets");
                }
                targets.add(t);
            });
        }
        return new ArchiveConfig(chunkSize, level, recipients, signingKey, signingPassphrase, bandwidth, retention,
                workDirectory, List.copyOf(targets));
    }

    private static Optional<ArchiveTarget> readTarget(ConfigSection section) {
        Optional<String> name = section.requiredString("name").filter(n -> {
            if (!TARGET_NAME.matcher(n).matches()) {
                section.error("name", "'" + n + "' is not a target name (a-z, 0-9, _ and -, up to 32)");
                return false;
            }
            return true;
        });
        Optional<String> type = section.requiredString("type");
        Optional<ArchiveTarget> target = Optional.empty();
        if (type.isPresent()) {
            switch (type.get().strip()) {
                case "s3" -> target = s3(section, name);
                case "filesystem" -> target = filesystem(section, name);
                default -> section.error("type", "'" + type.get() + "' is not a target type (s3 or filesystem)");
            }
        }
        section.rejectUnknownKeys();
        return name.isPresent() ? target : Optional.empty();
    }

    private static Optional<ArchiveTarget> s3(ConfigSection section, Optional<String> name) {
        Optional<String> bucket = section.requiredString("bucket");
        String prefix = section.string("prefix").orElse("");
        String region = section.string("region").orElse("us-east-1");
        Optional<URI> endpoint = section.parsed("endpoint", text -> {
            try {
                URI uri = new URI(text.strip());
                if (uri.getScheme() == null || uri.getHost() == null) {
                    throw new IllegalArgumentException("'" + text + "' is not a URL (e.g. https://s3.example.com)");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + text + "' is not a URL (e.g. https://s3.example.com)");
            }
        });
        boolean pathStyle = section.bool("path_style").orElse(false);
        Optional<String> storageClass = section.string("storage_class");
        Optional<String> sse = section.string("server_side_encryption");
        // A key that failed to read (an unset variable, an unreadable file) is reported as that, not as missing.
        int errorsBefore = section.reader().errorCount();
        Optional<String> accessKeyId = section.string("access_key_id");
        Optional<Secret> secret = SecretValue.read(section, "secret_access_key");
        if (accessKeyId.isPresent() != secret.isPresent() && section.reader().errorCount() == errorsBefore) {
            section.error(accessKeyId.isPresent() ? "secret_access_key" : "access_key_id",
                    "missing (set both keys, or neither to use the AWS default credentials)");
        }
        if (name.isEmpty() || bucket.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ArchiveTarget.S3(name.get(), bucket.get(), prefix, region, endpoint, pathStyle,
                storageClass, sse, accessKeyId, secret));
    }

    private static Optional<ArchiveTarget> filesystem(ConfigSection section, Optional<String> name) {
        Optional<Path> path = section.requiredString("path").map(Path::of);
        path.filter(p -> !p.isAbsolute()).ifPresent(p -> section.error("path", "must be an absolute path"));
        if (name.isEmpty() || path.isEmpty() || !path.get().isAbsolute()) {
            return Optional.empty();
        }
        return Optional.of(new ArchiveTarget.Filesystem(name.get(), path.get()));
    }

    /** {@code 50MiB/s}: a size per second. */
    static DataSize rate(String text) {
        String trimmed = text.strip();
        if (!trimmed.endsWith("/s")) {
            throw new IllegalArgumentException("'" + text + "' is not a rate (write e.g. 50MiB/s)");
        }
        DataSize size = DataSize.parse(trimmed.substring(0, trimmed.length() - 2));
        if (size.bytes() < 1024) {
            throw new IllegalArgumentException("'" + text + "' is under 1KiB/s");
        }
        return size;
    }
}
