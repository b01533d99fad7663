package io.lifeboat.core.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code replication} block.
 *
 * @param include tables to replicate; empty means every user table of the master's database
 * @param fullcopy tables copied whole every {@code fullcopyInterval} even when they have a primary key
 */
public record ReplicationConfig(
        String slot,
        String publication,
        List<TablePattern> include,
        List<TablePattern> exclude,
        List<TablePattern> fullcopy,
        Duration fullcopyInterval,
        int batchMaxRows,
        Duration batchMaxDelay,
        DataSize retainedWalWarning) {

    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern PUBLICATION_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public boolean included(String schema, String table) {
        boolean in = include.isEmpty() || include.stream().anyMatch(p -> p.matches(schema, table));
        return in && exclude.stream().noneMatch(p -> p.matches(schema, table));
    }

    public boolean forcedFullcopy(String schema, String table) {
        return fullcopy.stream().anyMatch(p -> p.matches(schema, table));
    }

    static ReplicationConfig read(ConfigSection section) {
        String slot = section.parsed("slot", text -> checked(text, SLOT_NAME,
                "a slot name is 1 to 63 of a-z, 0-9 and _")).orElse("lifeboat");
        String publication = section.parsed("publication", text -> checked(text, PUBLICATION_NAME,
                "a publication name is a lowercase identifier")).orElse("lifeboat");
        ConfigSection tables = section.section("tables");
        List<TablePattern> include = patterns(tables, "include");
        List<TablePattern> exclude = patterns(tables, "exclude");
        List<TablePattern> fullcopy = patterns(tables, "fullcopy");
        tables.rejectUnknownKeys();
        Duration fullcopyInterval = section.parsed("fullcopy_interval", HumanDuration::parse)
                .orElse(Duration.ofMinutes(15));
        if (fullcopyInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            section.error("fullcopy_interval", "must be at least 1s");
        }
        ConfigSection batch = section.section("batch");
        int maxRows = batch.integer("max_rows", 1, 1_000_000).orElse(20_000);
        Duration maxDelay = batch.parsed("max_delay", HumanDuration::parse).orElse(Duration.ofMillis(100));
        batch.rejectUnknownKeys();
        DataSize walWarning = section.parsed("retained_wal_warning", DataSize::parse)
                .orElse(DataSize.ofGibibytes(10));
        section.rejectUnknownKeys();
        return new ReplicationConfig(slot, publication, include, exclude, fullcopy, fullcopyInterval, maxRows,
                maxDelay, walWarning);
    }

    private static List<TablePattern> patterns(ConfigSection section, String key) {
        return section.stringList(key).stream().flatMap(text -> {
            try {
                return java.util.stream.Stream.of(TablePattern.parse(text));
            } catch (IllegalArgumentException e) {
                section.error(key, e.getMessage());
                return java.util.stream.Stream.empty();
            }
        }).toList();
    }

    private static String checked(String text, Pattern form, String rule) {
        if (!form.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not valid (" + rule + ")");
        }
        return text;
    }
}
