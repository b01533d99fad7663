package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStatusIT {
    @TempDir
    Path dir;

    @Test
    void statusIsCriticalBeforeReplicationAndHealthyWhileItRuns() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
                cluster.execute("create table t (id int primary key, v text)");
            }
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));

            CommandRun before = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(before.exitCode()).isEqualTo(2);
            assertThat(before.out()).startsWith("replication: critical\n")
                    .contains("  ! no slot lifeboat on master: replication has not started (run sync run)")
                    .contains("  ! the standby has no applied position: the initial sync has not completed")
                    .containsPattern("public.t\\s+pushdelta\\s+streaming\\s+0");

            Process sync = new ProcessBuilder("java", "-jar", Path.of("target", "lifeboat.jar").toAbsolutePath().toString(),
                    "-c", config.toString(), "sync", "run").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sync.log").toFile()).start();
            try {
                master.execute("insert into t select g, 'v' from generate_series(1, 10) g");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                CommandRun healthy = CommandRun.of("-c", config.toString(), "sync", "status", "--json");
                while (!(healthy.exitCode() == 0 && healthy.out().contains("\"lag_seconds\" : 0"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(300);
                    healthy = CommandRun.of("-c", config.toString(), "sync", "status", "--json");
                }
                assertThat(healthy.exitCode()).as(healthy.out()).isZero();
                assertThat(healthy.out()).contains("\"health\" : \"healthy\"", "\"problems\" : [ ]",
                        "\"active\" : true", "\"table\" : \"public.t\"", "\"rows\" : 10");

                // The same state against a tiny limit: the WAL the slot holds back is a warning.
                Path strict = dir.resolve("strict.yml");
                Files.writeString(strict, Files.readString(config) + "replication: {retained_wal_warning: 1B}\n");
                CommandRun warned = CommandRun.of("-c", strict.toString(), "sync", "status");
                assertThat(warned.exitCode()).isEqualTo(1);
                assertThat(warned.out()).startsWith("replication: warning\n")
                        .containsPattern("  ! slot lifeboat retains [0-9.]+ [KMG]?i?B of WAL on master \\(warning at 1B\\)");
            } finally {
                sync.destroy();
                assertThat(sync.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            CommandRun stopped = CommandRun.of("-c", config.toString(), "sync", "status");
            assertThat(stopped.exitCode()).isEqualTo(1);
            assertThat(stopped.out()).startsWith("replication: warning\n")
                    .contains("  ! slot lifeboat is not in use: is sync run running?");
        }
    }
}
