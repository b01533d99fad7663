package io.lifeboat.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.archiver.job.StorageTargets;
import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.SnapshotsConfig;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.snapshotter.cycle.SnapshotStore;
import io.lifeboat.snapshotter.cycle.StoredSnapshot;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads what the status is judged from: the standby's catalog (replication, jobs, validation, the last dry-run), the
 * snapshot store and each archive target. Reads only; a target or store that cannot be read becomes a problem in
 * its reading, while a catalog that cannot be read is a {@link CatalogUnreadableException}: then nothing is known.
 */
public final class Survey {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Survey() {
    }

    /** The catalog part alone: cheap, read every few seconds. */
    public static Catalog catalog(Connection standby, LifeboatConfig config) {
        String slot = config.replication().slot();
        try {
            if (!hasCatalog(standby)) {
                throw new CatalogUnreadableException("no Lifeboat catalog of this version on standby "
                        + config.standby().address() + " (lifeboat.master_position is missing)",
                        "run: lifeboat catalog migrate (sync run and lifeboat run do it on start)");
            }
            return new Catalog(replication(standby, slot), jobs(standby), validation(standby), dryRun(standby));
        } catch (SQLException e) {
            throw new CatalogUnreadableException("cannot read the catalog on standby " + config.standby().address()
                    + " (" + e.getMessage().lines().findFirst().orElse("") + ")", null);
        }
    }

    /** The catalog part of {@link Readings}. */
    public record Catalog(Readings.Replication replication, Map<String, Readings.Job> jobs,
            Optional<Readings.Validation> validation, Optional<Readings.DryRun> dryRun) {
    }

    /** The configured snapshot store; empty when there is no {@code snapshots} block. */
    public static Optional<Readings.Snapshots> snapshots(LifeboatConfig config) {
        if (config.snapshots().isEmpty()) {
            return Optional.empty();
        }
        SnapshotsConfig snapshots = config.snapshots().get();
        try {
            List<StoredSnapshot> complete = new SnapshotStore(snapshots.directory()).complete();
            Optional<Readings.Snapshot> newest = complete.isEmpty() ? Optional.empty()
                    : Optional.of(snapshot(complete.get(complete.size() - 1)));
            Optional<Readings.Snapshot> verified = complete.stream().filter(StoredSnapshot::verified)
                    .reduce((a, b) -> b).map(Survey::snapshot);
            boolean newestCorrupt = !complete.isEmpty() && complete.get(complete.size() - 1).corrupt();
            return Optional.of(new Readings.Snapshots(Optional.empty(), complete.size(), newest, verified,
                    newestCorrupt));
        } catch (LifeboatException e) {
            return Optional.of(new Readings.Snapshots(Optional.of(e.getMessage()), 0, Optional.empty(),
                    Optional.empty(), false));
        }
    }

    private static Readings.Snapshot snapshot(StoredSnapshot s) {
        return new Readings.Snapshot(s.name().toString(), s.name().takenAt());
    }

    /** Lists every configured archive target (one round of listings each: not for every few seconds on S3). */
    public static List<Readings.Archive> archives(LifeboatConfig config) {
        List<Readings.Archive> archives = new ArrayList<>();
        for (ArchiveTarget target : config.archive().targets()) {
            archives.add(archive(config, target));
        }
        return archives;
    }

    private static Readings.Archive archive(LifeboatConfig config, ArchiveTarget configured) {
        try (StorageTarget target = StorageTargets.open(config.archive(), configured)) {
            List<StoredBackup> complete = new BackupStore(target).complete();
            Optional<Readings.Backup> newest = complete.isEmpty() ? Optional.empty()
                    : Optional.of(backup(complete.get(complete.size() - 1)));
            Optional<Readings.Backup> verified = complete.stream().filter(StoredBackup::verified).reduce((a, b) -> b)
                    .map(Survey::backup);
            return new Readings.Archive(configured.name(), Optional.empty(), complete.size(), newest, verified,
                    complete.stream().map(b -> b.id().toString()).toList());
        } catch (RuntimeException e) {
            // A target's close can fail in ways of its own; the listing is what counts.
            return new Readings.Archive(configured.name(), Optional.of(String.valueOf(e.getMessage())), 0,
                    Optional.empty(), Optional.empty(), List.of());
        }
    }

    private static Readings.Backup backup(StoredBackup b) {
        Instant at = b.manifest().map(m -> m.finishedAt()).orElse(b.id().startedAt());
        return new Readings.Backup(b.id().toString(), at, b.storedBytes());
    }

    private static boolean hasCatalog(Connection standby) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement(
                "select to_regclass('lifeboat.master_position') is not null");
             ResultSet row = statement.executeQuery()) {
            row.next();
            return row.getBoolean(1);
        }
    }

    private static Readings.Replication replication(Connection standby, String slot) throws SQLException {
        Optional<Instant> seenAt = Optional.empty();
        OptionalLong lagBytes = OptionalLong.empty();
        OptionalLong retained = OptionalLong.empty();
        Optional<Instant> heartbeat = Optional.empty();
        try (PreparedStatement statement = standby.prepareStatement("""
                select mp.seen_at,
                       greatest(pg_wal_lsn_diff(mp.lsn, ap.lsn), 0)::bigint,
                       pg_wal_lsn_diff(mp.lsn, mp.slot_restart_lsn)::bigint,
                       (select beat_at from lifeboat.heartbeat where id = 1)
                from (select 1) one
                left join lifeboat.master_position mp on mp.slot_name = ?
                left join lifeboat.applied_position ap on ap.slot_name = ?
                """)) {
            statement.setString(1, slot);
            statement.setString(2, slot);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                seenAt = instant(row.getTimestamp(1));
                long lag = row.getLong(2);
                if (!row.wasNull()) {
                    lagBytes = OptionalLong.of(lag);
                }
                long held = row.getLong(3);
                if (!row.wasNull()) {
                    retained = OptionalLong.of(held);
                }
                heartbeat = instant(row.getTimestamp(4));
            }
        }
        List<Readings.PausedTable> paused = new ArrayList<>();
        try (PreparedStatement statement = standby.prepareStatement(
                "select table_name, reason, paused_at from lifeboat.paused_table order by table_name");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                paused.add(new Readings.PausedTable(rows.getString(1), rows.getString(2),
                        rows.getTimestamp(3).toInstant()));
            }
        }
        return new Readings.Replication(seenAt, lagBytes, retained, heartbeat, paused);
    }

    private static Map<String, Readings.Job> jobs(Connection standby) throws SQLException {
        Map<String, Optional<Readings.Run>> last = runs(standby, "state <> 'running'");
        Map<String, Optional<Readings.Run>> success = runs(standby, "state = 'succeeded'");
        Map<String, Long> failures = new LinkedHashMap<>();
        try (PreparedStatement statement = standby.prepareStatement(
                "select kind, count(*) filter (where state = 'failed') from lifeboat.job group by kind");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                failures.put(rows.getString(1), rows.getLong(2));
            }
        }
        Map<String, Readings.Job> jobs = new LinkedHashMap<>();
        for (String kind : failures.keySet()) {
            jobs.put(kind, new Readings.Job(kind, last.getOrDefault(kind, Optional.empty()),
                    success.getOrDefault(kind, Optional.empty()), failures.get(kind)));
        }
        return jobs;
    }

    private static Map<String, Optional<Readings.Run>> runs(Connection standby, String filter) throws SQLException {
        Map<String, Optional<Readings.Run>> runs = new LinkedHashMap<>();
        try (PreparedStatement statement = standby.prepareStatement("select distinct on (kind) kind, id, state,"
                + " started_at, ended_at, coalesce(detail->>'error', detail->>'message', '') from lifeboat.job"
                + " where " + filter + " order by kind, started_at desc, id desc");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                runs.put(rows.getString(1), Optional.of(new Readings.Run(rows.getLong(2), rows.getString(3),
                        rows.getTimestamp(4).toInstant(), rows.getTimestamp(5).toInstant(), rows.getString(6))));
            }
        }
        return runs;
    }

    private static Optional<Readings.Validation> validation(Connection standby) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement("select started_at, tables, detail::text"
                + " from lifeboat.validation order by started_at desc, id desc limit 1");
             ResultSet row = statement.executeQuery()) {
            if (!row.next()) {
                return Optional.empty();
            }
            List<String> outOfSync = new ArrayList<>();
            JsonNode detail = parse(row.getString(3));
            for (JsonNode table : detail) {
                if (!table.path("in_sync").asBoolean(true)) {
                    outOfSync.add(table.path("table").asText());
                }
            }
            return Optional.of(new Readings.Validation(row.getTimestamp(1).toInstant(), row.getInt(2), outOfSync));
        }
    }

    /** The newest dry-run that left its report; the report is the row's detail (or its {@code report} field). */
    private static Optional<Readings.DryRun> dryRun(Connection standby) throws SQLException {
        try (PreparedStatement statement = standby.prepareStatement("select coalesce(ended_at, started_at),"
                + " detail::text from lifeboat.job where kind = 'dry-run' and state <> 'running'"
                + " and (detail ?? 'rungs' or detail->'report' ?? 'rungs')"
                + " order by started_at desc, id desc limit 1");
             ResultSet row = statement.executeQuery()) {
            if (!row.next()) {
                return Optional.empty();
            }
            JsonNode detail = parse(row.getString(2));
            JsonNode report = detail.has("rungs") ? detail : detail.path("report");
            return Optional.of(new Readings.DryRun(row.getTimestamp(1).toInstant(), report));
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static Optional<Instant> instant(Timestamp timestamp) {
        return Optional.ofNullable(timestamp).map(Timestamp::toInstant);
    }
}
