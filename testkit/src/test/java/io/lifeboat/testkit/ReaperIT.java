package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReaperIT {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    @Test
    void reap_runsTheCommandsInOrderAndWaitsForThem() {
        Path log = temp.resolve("log");
        Reaper reaper = Reaper.arm("test", List.of(
                List.of("sh", "-c", "echo first >> \"$1\"", "sh", log.toString()),
                List.of("false"),
                List.of("sh", "-c", "echo 'second, after a failure' >> \"$1\"", "sh", log.toString())));

        reaper.reap(LIMIT);

        assertThat(log).hasContent("first\nsecond, after a failure");
    }

    @Test
    void disarm_runsNothingAndEndsTheWatchdog() {
        Path marker = temp.resolve("marker");
        Reaper reaper = Reaper.arm("test", List.of(List.of("touch", marker.toString())));

        reaper.disarm();

        Poll.until(LIMIT, "watchdog " + reaper.pid() + " exits",
                () -> !ProcessTable.running(reaper.pid()));
        assertThat(marker).doesNotExist();
    }

    @Test
    void watchdog_runsInItsOwnSession() {
        Reaper reaper = Reaper.arm("test", List.of(List.of("true")));
        try {
            // setsid runs a moment after the process starts.
            Poll.until(LIMIT, "watchdog " + reaper.pid() + " leads its own session",
                    () -> sessionOf(reaper.pid()) == reaper.pid());
            assertThat(sessionOf(reaper.pid())).isNotEqualTo(sessionOf(ProcessHandle.current().pid()));
        } finally {
            reaper.disarm();
        }
    }

    @Test
    void jvmKilledWithSigkill_stillRunsTheCommands() throws Exception {
        Path marker = temp.resolve("marker");
        try (ChildJvm child = ChildJvm.start(temp, "touch-on-death", marker.toString(), "wait")) {
            assertThat(child.readLine(LIMIT)).isEqualTo("armed");
            assertThat(marker).doesNotExist();

            child.killHard();

            Poll.until(LIMIT, "the reaper of the killed jvm creates " + marker, () -> Files.exists(marker));
        }
    }

    @Test
    void jvmExitingNormally_runsTheCommandsBeforeItEnds() throws Exception {
        Path marker = temp.resolve("marker");
        try (ChildJvm child = ChildJvm.start(temp, "touch-on-death", marker.toString(), "exit")) {
            assertThat(child.readLine(LIMIT)).isEqualTo("armed");

            assertThat(child.awaitExit(LIMIT)).isZero();

            // The shutdown hook waited for the watchdog, so there is nothing to poll for.
            assertThat(marker).exists();
        }
    }

    private static long sessionOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // Fields after the parenthesised command: state, ppid, pgrp, session.
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
