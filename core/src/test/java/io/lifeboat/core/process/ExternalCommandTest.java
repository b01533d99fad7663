package io.lifeboat.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
                .isInstanceOf(MissingProgramException.class)
                .hasMessage("cannot run /nonexistent/pg_dump: no such program");
    }

    @Test
    void missingTool_failsWithOneLineNamingItsPackageAndNoStackTrace(@TempDir Path emptyPath) {
        // The PATH the child gets is where the program is looked for: here one without btrfs-progs' programs.
        assertThatThrownBy(() -> ExternalCommand.of("mkfs.btrfs", "--version").env("PATH", emptyPath.toString()).run())
                .isInstanceOf(ExternalCommandException.class)
                .hasMessage("cannot run mkfs.btrfs: not installed (package btrfs-progs)")
                .satisfies(e -> assertThat(e.getStackTrace()).isEmpty())
                .satisfies(e -> assertThat(((MissingProgramException) e).hint()).contains("install it: apt-get install btrfs-progs"));
        assertThatThrownBy(() -> ExternalCommand.of("/usr/lib/postgresql/99/bin/pg_waldump").run())
                .hasMessage("cannot run pg_waldump: not installed (package postgresql-99)");
        assertThatThrownBy(() -> ExternalCommand.of("gpg", "--version").asUser("nobody").env("PATH", emptyPath.toString()).run())
                .hasMessage("cannot run gpg: not installed (package gnupg)");
    }

    @Test
    void pathOfTheChildsEnvironment_findsTheProgram(@TempDir Path bin) throws Exception {
        Path tool = bin.resolve("lifeboat-probe-tool");
        Files.writeString(tool, "#!/bin/sh\necho probed\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(ExternalCommand.of("lifeboat-probe-tool").env("PATH", bin + ":/usr/bin:/bin").run().stdout())
                .isEqualTo("probed\n");
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
