package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncSequencesIT {
    @TempDir
    Path dir;

    @Test
    void syncSequences_printsEachMoveAndEachSequenceLeftOut_andExits1ForTheLeftOut() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            for (PostgresCluster cluster : new PostgresCluster[] {master, standby}) {
                cluster.createDatabase("app");
                cluster.execute("app", "create schema \"Odd Schema\"; create sequence \"Odd Schema\".orders;"
                        + " create sequence down increment -1");
            }
            master.execute("app", "create sequence only_master; select nextval('only_master');"
                    + " select nextval('\"Odd Schema\".orders') from generate_series(1, 5);"
                    + " select setval('down', -40, false)");
            Path file = dir.resolve("lifeboat.yml");
            Files.writeString(file, """
                    master: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: app, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));

            CommandRun run = CommandRun.of("-c", file.toString(), "sync", "sequences");

            assertThat(run.err()).isEmpty();
            assertThat(run.out()).isEqualTo("""
                    "Odd Schema".orders: next value 6
                    public.down: next value -40
                    public.only_master: missing on standby
                    3 sequences, 2 advanced, 1 missing on standby, 0 skipped
                    """);
            assertThat(run.exitCode()).isEqualTo(1);

            standby.execute("app", "create sequence only_master");
            CommandRun again = CommandRun.of("-c", file.toString(), "sync", "sequences");
            assertThat(again.out()).isEqualTo("public.only_master: next value 2\n"
                    + "3 sequences, 1 advanced, 0 missing on standby, 0 skipped\n");
            assertThat(again.exitCode()).isZero();
        }
    }
}
