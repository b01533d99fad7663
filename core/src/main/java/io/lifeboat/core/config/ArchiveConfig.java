package io.lifeboat.core.config;

/** The {@code archive} block: how offsite dumps are cut and shipped. */
public record ArchiveConfig(DataSize chunkSize) {
    public static final DataSize DEFAULT_CHUNK_SIZE = DataSize.ofGibibytes(4);
    /** S3 takes at most 5 GiB in a single PUT, and a chunk is one object. */
    public static final DataSize CHUNK_SIZE_LIMIT = DataSize.ofGibibytes(5);
    public static final DataSize CHUNK_SIZE_MINIMUM = DataSize.ofMebibytes(1);

    static ArchiveConfig read(ConfigSection section) {
        DataSize chunkSize = section.parsed("chunk_size", DataSize::parse).orElse(DEFAULT_CHUNK_SIZE);
        if (chunkSize.compareTo(CHUNK_SIZE_LIMIT) >= 0) {
            section.error("chunk_size", chunkSize.equals(CHUNK_SIZE_LIMIT)
                    ? chunkSize + " is at the 5 GiB limit; chunks must stay below it"
                    : chunkSize + " is over the 5 GiB limit");
        } else if (chunkSize.compareTo(CHUNK_SIZE_MINIMUM) < 0) {
            section.error("chunk_size", chunkSize + " is under the 1 MiB minimum");
        }
        return new ArchiveConfig(chunkSize);
    }
}
