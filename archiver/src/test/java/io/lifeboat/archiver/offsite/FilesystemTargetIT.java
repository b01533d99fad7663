package io.lifeboat.archiver.offsite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.StorageTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemTargetIT extends StorageTargetContract {
    @TempDir
    Path dir;
    private int count;

    @Override
    protected StorageTarget newTarget(BandwidthLimit bandwidth) {
        return new FilesystemTarget("fs:offsite", dir.resolve("target-" + ++count), bandwidth);
    }

    @Override
    protected void assertNothingHalfWrittenRemains() throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    @Tag("root")
    void aFullDiskNamesTargetAndKey() throws Exception {
        Path small = Files.createDirectory(dir.resolve("small"));
        ExternalCommand.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .timeout(Duration.ofSeconds(10)).run();
        try (FilesystemTarget full = new FilesystemTarget("fs:small", small, BandwidthLimit.unlimited())) {
            assertThatThrownBy(() -> {
                try (ObjectOutput out = full.create("b1/chunk-00001")) {
                    out.write(random(4 << 20, 1));
                    out.commit();
                }
            }).isInstanceOf(LifeboatException.class)
                    .hasMessage("cannot write b1/chunk-00001 to fs:small (no space left on device)");
            assertThat(full.list("")).isEmpty();
        } finally {
            ExternalCommand.of("umount", small.toString()).timeout(Duration.ofSeconds(10)).run();
        }
    }
}
