package io.lifeboat.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryLockTest {
    @TempDir
    Path dir;

    @Test
    void secondRecovery_isRefusedNamingTheFirst_untilItEnds() {
        Path file = dir.resolve(RecoveryLock.FILE_NAME);
        Instant now = Instant.parse("2026-11-22T03:00:00Z");
        try (RecoveryLock first = RecoveryLock.acquire(file, now)) {
            assertThatThrownBy(() -> RecoveryLock.acquire(file, now))
                    .hasMessage("another recovery is running (pid " + ProcessHandle.current().pid()
                            + ", since 2026-11-22T03:00:00Z); not starting a second one");
        }
        RecoveryLock.acquire(file, now).close();
    }
}
