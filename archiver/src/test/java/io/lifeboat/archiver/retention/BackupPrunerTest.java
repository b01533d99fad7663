package io.lifeboat.archiver.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.archiver.read.BackupStore;
import io.lifeboat.archiver.read.StoredBackup;
import io.lifeboat.archiver.read.Verification;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.manifest.ManifestCodec;
import io.lifeboat.core.retention.RetentionSchedule;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.core.storage.ObjectOutput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention over a simulated history of tiny backups on a filesystem target. */
class BackupPrunerTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final RetentionSchedule SCHEDULE = RetentionSchedule.parse("1d,7d/90d");

    @TempDir
    Path dir;
    private FilesystemTarget target;
    private BackupStore store;

    @BeforeEach
    void createTarget() {
        target = new FilesystemTarget("fs:local", dir, BandwidthLimit.unlimited());
        store = new BackupStore(target);
    }

    private static BackupId id(String instant) {
        return new BackupId(Instant.parse(instant));
    }

    private void chunk(BackupId id, Instant written) throws Exception {
        String key = id + "/chunk-00001";
        try (ObjectOutput out = target.create(key)) {
            out.write(id.toString().getBytes(StandardCharsets.US_ASCII));
            out.commit();
        }
        Files.setLastModifiedTime(dir.resolve(key), FileTime.from(written));
    }

    private void complete(BackupId id) throws Exception {
        chunk(id, id.startedAt().plusSeconds(60));
        byte[] bytes = id.toString().getBytes(StandardCharsets.US_ASCII);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        BackupManifest manifest = BackupManifest.of(id.toString(), id.startedAt(), id.startedAt().plusSeconds(60),
                new BackupManifest.Source("7000000000000000001", "shop", "15.14"), "0/16B3748", "sha256:" + "0".repeat(64), "custom", List.of(),
                null, List.of(), List.of(new ChunkEntry(id + "/chunk-00001", bytes.length, sha256)), bytes.length,
                sha256);
        store.publish(id, ManifestCodec.encode(manifest), Optional.empty());
    }

    private void verified(BackupId id) {
        store.record(id, Verification.of(List.of(), id.startedAt().plusSeconds(3600), true));
    }

    private void corruptVerification(BackupId id) {
        store.record(id, Verification.of(List.of("chunk " + id + "/chunk-00001 on fs:local is missing"),
                id.startedAt().plusSeconds(3600), false));
    }

    private static Map<String, BackupPruner.Decision> byId(List<BackupPruner.Decision> plan) {
        Map<String, BackupPruner.Decision> map = new TreeMap<>();
        plan.forEach(d -> map.put(d.backup().id().toString(), d));
        return map;
    }

    @Test
    void dailyHistory_keepsOnePerDayForAWeekOnePerWeekTo90DaysAndTheNewestVerified() throws Exception {
        List<BackupId> daily = new ArrayList<>();
        for (int day = 0; day <= 100; day++) {
            BackupId id = new BackupId(Instant.parse("2026-11-22T02:00:00Z").minus(Duration.ofDays(day)));
            complete(id);
            daily.add(id);
        }
        BackupId secondOnDay = id("2026-11-21T14:00:00Z");
        complete(secondOnDay);
        BackupId onlyVerified = id("2026-08-15T02:00:00Z");
        verified(onlyVerified);
        corruptVerification(id("2026-11-22T02:00:00Z"));
        BackupId badManifest = id("2026-11-10T05:00:00Z");
        chunk(badManifest, badManifest.startedAt());
        store.publish(badManifest, "not json".getBytes(StandardCharsets.US_ASCII), Optional.empty());
        BackupId young = id("2026-11-22T11:00:00Z");
        chunk(young, NOW.minus(Duration.ofHours(1)));
        BackupId abandoned = id("2026-11-21T20:00:00Z");
        chunk(abandoned, NOW.minus(Duration.ofHours(7)));

        List<BackupPruner.Decision> plan = new BackupPruner(SCHEDULE, store).plan(NOW);
        Map<String, BackupPruner.Decision> decided = byId(plan);

        assertThat(plan).extracting(d -> d.backup().id())
                .isSortedAccordingTo(Comparator.<BackupId>naturalOrder().reversed())
                .hasSize(daily.size() + 4);
        assertThat(decided.get("20261122T110000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(true, "incomplete, maybe still being written");
        assertThat(decided.get("20261121T200000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(false, "incomplete, abandoned");
        assertThat(decided.get("20261110T050000Z").keep()).isFalse();
        assertThat(decided.get("20261110T050000Z").reason())
                .startsWith("corrupt: manifest fs:local:20261110T050000Z/manifest.json is invalid: not json");
        assertThat(decided.get("20261121T140000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(false, "slot 1d@2026-11-21T00:00:00Z keeps an older one");
        assertThat(decided.get("20261121T020000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(true, "keeps slot 1d@2026-11-21T00:00:00Z");
        assertThat(decided.get("20261122T020000Z").keep()).as("kept by its slot although its verification failed")
                .isTrue();
        assertThat(decided.get("20260815T020000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(true, "newest verified");
        assertThat(decided.get("20260814T020000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(false, "older than 90d");

        // Under a week old: every day's first backup. From a week to 90 days: the oldest of each epoch-aligned week.
        List<BackupId> expected = new ArrayList<>();
        Map<Long, BackupId> oldestOfWeek = new TreeMap<>();
        for (BackupId id : daily) {
            Duration age = Duration.between(id.startedAt(), NOW);
            if (age.compareTo(Duration.ofDays(7)) < 0) {
                expected.add(id);
            } else if (age.compareTo(Duration.ofDays(90)) < 0) {
                oldestOfWeek.merge(Math.floorDiv(id.startedAt().getEpochSecond(), 7 * 86_400L), id,
                        (a, b) -> a.compareTo(b) <= 0 ? a : b);
            }
        }
        expected.addAll(oldestOfWeek.values());
        expected.add(onlyVerified);
        expected.add(young);
        assertThat(plan.stream().filter(BackupPruner.Decision::keep).map(d -> d.backup().id()).sorted().toList())
                .isEqualTo(expected.stream().sorted().toList());
        assertThat(expected).hasSize(7 + 13 + 2);
    }

    @Test
    void prune_deletesWhatThePlanDoesNotKeepAndNothingElse() throws Exception {
        for (int day = 0; day < 20; day++) {
            complete(new BackupId(Instant.parse("2026-11-22T02:00:00Z").minus(Duration.ofDays(day))));
        }
        BackupId abandoned = id("2026-11-01T20:00:00Z");
        chunk(abandoned, abandoned.startedAt());
        verified(id("2026-11-20T02:00:00Z"));

        List<BackupPruner.Decision> plan = new BackupPruner(SCHEDULE, store).prune(NOW);

        List<BackupId> kept = plan.stream().filter(BackupPruner.Decision::keep).map(d -> d.backup().id()).sorted().toList();
        assertThat(store.list()).extracting(StoredBackup::id).containsExactlyElementsOf(kept);
        assertThat(plan.stream().filter(d -> !d.keep()).map(d -> d.backup().id().toString())
                .collect(Collectors.toList())).contains("20261101T200000Z").hasSizeGreaterThan(5);
        assertThat(target.list("")).allSatisfy(object -> assertThat(kept.stream().map(BackupId::toString))
                .contains(object.key().substring(0, object.key().indexOf('/'))));
        assertThat(store.list()).filteredOn(StoredBackup::verified).extracting(StoredBackup::id)
                .containsExactly(id("2026-11-20T02:00:00Z"));
    }

    @Test
    void newestVerified_isKeptEvenWhereItsSlotKeepsAnOlderOne() throws Exception {
        BackupId morning = id("2026-11-21T02:00:00Z");
        BackupId evening = id("2026-11-21T14:00:00Z");
        complete(morning);
        complete(evening);
        verified(evening);

        Map<String, BackupPruner.Decision> decided = byId(new BackupPruner(SCHEDULE, store).plan(NOW));

        assertThat(decided.get("20261121T140000Z")).extracting(BackupPruner.Decision::keep, BackupPruner.Decision::reason)
                .containsExactly(true, "newest verified");
        assertThat(decided.get("20261121T020000Z").keep()).isTrue();
    }
}
