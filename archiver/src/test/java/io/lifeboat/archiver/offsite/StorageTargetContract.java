package io.lifeboat.archiver.offsite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.ObjectInfo;
import io.lifeboat.core.storage.ObjectNotFoundException;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.StorageTarget;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link StorageTarget} must do; each implementation's IT subclasses this. */
abstract class StorageTargetContract {
    protected StorageTarget target;

    /** A fresh, empty target. */
    protected abstract StorageTarget newTarget(BandwidthLimit bandwidth) throws Exception;

    @BeforeEach
    void openTarget() throws Exception {
        target = newTarget(BandwidthLimit.unlimited());
    }

    @AfterEach
    void closeTarget() {
        if (target != null) {
            target.close();
        }
    }

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static void put(StorageTarget target, String key, byte[] bytes) throws Exception {
        try (ObjectOutput out = target.create(key)) {
            out.write(bytes);
            out.commit();
        }
    }

    static byte[] get(StorageTarget target, String key) throws Exception {
        try (InputStream in = target.open(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void createCommitOpenStatListDelete() throws Exception {
        Instant before = Instant.now().minusSeconds(5);
        put(target, "b1/chunk-00001", "hello".getBytes(StandardCharsets.UTF_8));
        put(target, "b1/chunk-00002", new byte[0]);
        put(target, "b2/manifest.json", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(get(target, "b1/chunk-00001")).asString(StandardCharsets.UTF_8).isEqualTo("hello");
        ObjectInfo info = target.stat("b1/chunk-00001").orElseThrow();
        assertThat(info.key()).isEqualTo("b1/chunk-00001");
        assertThat(info.size()).isEqualTo(5);
        assertThat(info.lastModified()).isAfter(before);
        assertThat(target.list("b1/")).extracting(ObjectInfo::key).containsExactly("b1/chunk-00001", "b1/chunk-00002");
        assertThat(target.list("")).extracting(ObjectInfo::key)
                .containsExactly("b1/chunk-00001", "b1/chunk-00002", "b2/manifest.json");

        target.delete("b1/chunk-00001");
        target.delete("b1/chunk-00001");
        assertThat(target.stat("b1/chunk-00001")).isEmpty();
        assertThat(target.list("b1/")).extracting(ObjectInfo::key).containsExactly("b1/chunk-00002");
    }

    @Test
    void anObjectIsInvisibleUntilCommitted() throws Exception {
        try (ObjectOutput out = target.create("b1/chunk-00001")) {
            out.write(random(100_000, 1));
            assertThat(target.stat("b1/chunk-00001")).isEmpty();
            assertThat(target.list("")).isEmpty();
            out.commit();
        }
        assertThat(target.stat("b1/chunk-00001")).map(ObjectInfo::size).contains(100_000L);
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws Exception {
        try (ObjectOutput out = target.create("b1/chunk-00001")) {
            out.write(random(12 << 20, 2));
        }
        try (ObjectOutput out = target.create("b1/chunk-00002")) {
            out.write(random(1000, 3));
        }
        assertThat(target.list("")).isEmpty();
        assertThat(target.stat("b1/chunk-00001")).isEmpty();
        assertNothingHalfWrittenRemains();
    }

    /** Implementations check their own leftovers (temp files, open multipart uploads). */
    protected abstract void assertNothingHalfWrittenRemains() throws Exception;

    @Test
    void aLargeObjectRoundTrips() throws Exception {
        byte[] data = random(40_000_000, 4);
        try (ObjectOutput out = target.create("big/chunk-00001")) {
            for (int i = 0; i < data.length; i += 100_000) {
                out.write(data, i, Math.min(100_000, data.length - i));
            }
            out.commit();
        }
        assertThat(target.stat("big/chunk-00001")).map(ObjectInfo::size).contains(40_000_000L);
        assertThat(get(target, "big/chunk-00001")).isEqualTo(data);
    }

    @Test
    void openingAMissingObjectNamesKeyAndTarget() {
        assertThatThrownBy(() -> target.open("b1/chunk-00009"))
                .isInstanceOf(ObjectNotFoundException.class)
                .hasMessage("b1/chunk-00009 does not exist on " + target.name());
    }

    @Test
    void refusesKeysThatCouldEscapeOrHide() {
        assertThatThrownBy(() -> target.create("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> target.create("b1/.hidden")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> target.create("/abs")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uploadsHonourTheBandwidthLimit() throws Exception {
        try (StorageTarget limited = newTarget(BandwidthLimit.perSecond(DataSize.ofMebibytes(4)))) {
            long begin = System.nanoTime();
            put(limited, "slow/chunk-00001", random(8 << 20, 5));
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            assertThat(took).as("8 MiB at 4 MiB/s").isGreaterThan(Duration.ofMillis(1500)).isLessThan(Duration.ofSeconds(15));
            assertThat(limited.stat("slow/chunk-00001")).map(ObjectInfo::size).contains(8L << 20);
        }
    }
}
