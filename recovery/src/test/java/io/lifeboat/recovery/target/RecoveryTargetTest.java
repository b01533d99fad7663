package io.lifeboat.recovery.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.RecoveryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTargetTest {
    @TempDir
    Path dir;

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-22T03:04:05Z"), ZoneOffset.UTC);

    private RecoveryTarget target() {
        return new RecoveryTarget(new RecoveryConfig.Target(dir.resolve("recovered"), 5444), clock);
    }

    @Test
    void absentOrEmpty_isUsable_andBuildsInAStagingDirectoryRenamedIntoPlace() throws IOException {
        RecoveryTarget target = target();
        assertThat(target.occupied()).isEmpty();
        Files.createDirectory(dir.resolve("recovered"));
        assertThat(target.occupied()).isEmpty();
        target.clear(false);
        assertThat(dir.resolve("recovered")).doesNotExist();
        Files.createDirectory(target.staging());
        Files.writeString(target.staging().resolve("PG_VERSION"), "15\n");
        assertThat(target.staging().getFileName().toString()).isEqualTo("recovered.lifeboat-incomplete");
        target.complete();
        assertThat(dir.resolve("recovered/PG_VERSION")).exists();
        assertThat(target.staging()).doesNotExist();
    }

    @Test
    void notEmpty_isRefused_orMovedAsideWithForce() throws IOException {
        RecoveryTarget target = target();
        Files.createDirectories(dir.resolve("recovered"));
        Files.writeString(dir.resolve("recovered/keep.txt"), "precious");
        assertThat(target.occupied()).contains("recovery.target.data_directory " + dir.resolve("recovered")
                + " is not empty");
        assertThatThrownBy(() -> target.clear(false)).hasMessage("recovery.target.data_directory "
                + dir.resolve("recovered") + " is not empty");
        assertThat(dir.resolve("recovered/keep.txt")).hasContent("precious");

        target.clear(true);
        assertThat(dir.resolve("recovered")).doesNotExist();
        assertThat(dir.resolve("recovered.moved-aside-20261122T030405Z/keep.txt")).hasContent("precious");
    }

    @Test
    void halfBuiltStaging_isMovedAside_neverReused() throws IOException {
        RecoveryTarget target = target();
        Files.createDirectories(target.staging());
        Files.writeString(target.staging().resolve("half"), "x");
        assertThat(target.abandon()).contains(dir.resolve("recovered.failed-20261122T030405Z"));
        assertThat(target.staging()).doesNotExist();

        Files.createDirectories(target.staging());
        target.clear(false);
        assertThat(target.staging()).doesNotExist();
        assertThat(dir.resolve("recovered.failed-20261122T030405Z-2")).isDirectory();
    }
}
