package io.lifeboat.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExternalCommandTest {
    @Test
    void success_returnsStdoutAndStderr() {
        ExternalCommand.Result result = ExternalCommand.of("sh", "-c", "echo out; echo err >&2").run();
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
    }

    @Test
    void failure_namesTheProgramTheExitCodeAndTheLastStderrLine() {
        assertThatThrownBy(() -> ExternalCommand.of("sh", "-c", "echo first >&2; echo 'disk full' >&2; exit 3").run())
                .isInstanceOf(ExternalCommandException.class)
                .hasMessage("sh failed (exit 3): disk full")
                .satisfies(e -> assertThat(((ExternalCommandException) e).stderrTail()).isEqualTo("first\ndisk full\n"));
    }

    @Test
    void timeout_killsTheChildAndItsChildren() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ExternalCommand.of("sh", "-c", "sleep 30 & sleep 30; wait")
                .timeout(Duration.ofMillis(300)).run())
                .hasMessage("sh did not finish within 300ms and was killed");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void missingProgram_isOneLine() {
        assertThatThrownBy(() -> ExternalCommand.of("/nonexistent/pg_dump").run())
                .hasMessageStartingWith("cannot run /nonexistent/pg_dump (");
    }

    @Test
    void environment_reachesTheChildWithoutTheArgv() {
        ExternalCommand.Result result = ExternalCommand.of("sh", "-c", "printf %s \"$PGPASSWORD\"")
                .env("PGPASSWORD", "hunter2").run();
        assertThat(result.stdout()).isEqualTo("hunter2");
    }

    @Test
    void largeOutput_isBoundedAndFast() {
        long start = System.nanoTime();
        // 64 MiB on stdout and stderr: stdout keeps its first 16 MiB, stderr its last 4 KiB.
        ExternalCommand.Result result = ExternalCommand.of("sh", "-c",
                "head -c 67108864 /dev/zero; head -c 67108864 /dev/zero | tr '\\0' 'e' >&2; echo END >&2").run();
        assertThat(result.stdout()).hasSize(16 << 20);
        assertThat(result.stderr()).hasSize(4096).endsWith("eeeEND\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
}
