package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code recover} refuses before it looks at any server: one line, exit 2, nothing touched. */
class RecoverCommandTest {
    @TempDir
    Path dir;

    private Path config(String recovery) throws IOException {
        Path file = dir.resolve("lifeboat.yml");
        // Nothing listens on these ports: a refusal must come before any connection.
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: 1, database: app, user: lifeboat, connect_timeout: 1s}
                standby: {host: 127.0.0.1, port: 2, database: app, user: lifeboat, connect_timeout: 1s}
                recovery:
                """ + recovery.indent(2));
        return file;
    }

    @Test
    void neitherAutoNorFrom_isAUsageError() throws IOException {
        CommandRun run = CommandRun.of("-c", config("prefer: first-healthy").toString(), "recover");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("error: give either --auto or --from RUNG",
                "hint: see 'lifeboat recover --help'");
    }

    @Test
    void candidateWithoutFrom_isAUsageError() throws IOException {
        CommandRun run = CommandRun.of("-c", config("prefer: first-healthy").toString(), "recover", "--auto",
                "--candidate", "x");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines().get(0)).isEqualTo("error: --candidate goes with --from RUNG");
    }

    @Test
    void unknownRung_isOneLineWithTheRungs() throws IOException {
        CommandRun run = CommandRun.of("-c", config("prefer: first-healthy").toString(), "recover", "--from", "nope");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("error: unknown rung 'nope'", "hint: rungs: restart-master,"
                + " master-volume-snapshot, promote-standby, latest-snapshot, older-snapshots, offsite-dump");
    }

    @Test
    void unknownRungInTheLadder_isAConfigErrorWithLineAndKey() throws IOException {
        CommandRun run = CommandRun.of("-c", config("ladder: [restart-master, promote-stanby]").toString(),
                "recover", "--auto", "--dry-run");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("lifeboat.yml:4: recovery.ladder: 'promote-stanby' is not a rung"
                + " (restart-master, master-volume-snapshot, promote-standby, latest-snapshot, older-snapshots,"
                + " offsite-dump)");
    }

    @Test
    void nothingConfigured_dryRunSaysWhyForEachRung_andExits2() throws IOException {
        CommandRun run = CommandRun.of("-c", config("ladder: [restart-master, latest-snapshot, offsite-dump]")
                .toString(), "recover", "--auto", "--dry-run");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out().lines().toList()).anySatisfy(l -> assertThat(l)
                .matches("restart-master +master.data_directory +- +- +unavailable: master.data_directory is not set"))
                .anySatisfy(l -> assertThat(l).matches("latest-snapshot +snapshots +- +- +unavailable: snapshots is"
                        + " not configured"))
                .anySatisfy(l -> assertThat(l).matches("offsite-dump +archive.targets +- +- +unavailable:"
                        + " archive.targets is empty"));
        assertThat(run.out().lines().reduce((a, b) -> b).orElseThrow())
                .isEqualTo("--auto would find nothing healthy: no rung can bring the database back");
    }
}
