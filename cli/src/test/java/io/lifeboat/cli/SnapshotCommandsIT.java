package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.testkit.LocalPostgresCluster;
import io.lifeboat.testkit.LoopVolume;
import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("root")
class SnapshotCommandsIT {
    @TempDir
    Path dir;

    private Path config(PostgresCluster master, String snapshots) throws IOException {
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                snapshots:
                %s""".formatted(master.port(), master.port() + 1, snapshots.indent(2)));
        return file;
    }

    @Test
    void takeListVerifyRestorePrune_onBtrfs() throws Exception {
        try (LoopVolume volume = LoopVolume.btrfs(2L << 30)) {
            Path subvolume = volume.createSubvolume("pg");
            try (PostgresCluster master = PostgresCluster.builder().parentDirectory(subvolume).start()) {
                master.execute("CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 1000) g");
                Path file = config(master, """
                        provider: btrfs
                        volume: %s
                        directory: %s
                        schedule: 1h,1d/7d
                        verify: false
                        """.formatted(subvolume, volume.mountPoint().resolve("snapshots")));

                CommandRun take = CommandRun.of("-c", file.toString(), "snapshot", "take");
                assertThat(take.exitCode()).as(take.err()).isZero();
                assertThat(take.out()).matches("(?s)snapshot lifeboat-\\S+Z: locked, synced, snapshotted, unlocked in"
                        + " \\d+ ms \\(write-blocked 0 ms\\)\n.*keep   lifeboat-\\S+: keeps slot 1h@.*");
                String name = take.out().split(" ")[1].replace(":", "");

                CommandRun list = CommandRun.of("-c", file.toString(), "snapshot", "list");
                assertThat(list.out().lines().toList()).hasSize(2);
                assertThat(list.out().lines().skip(1).findFirst().orElseThrow())
                        .startsWith(name).contains(" complete ").contains("keeps slot 1h@");

                CommandRun verify = CommandRun.of("-c", file.toString(), "snapshot", "verify");
                assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
                assertThat(verify.out()).startsWith("snapshot " + name + ": verified in ");
                assertThat(CommandRun.of("-c", file.toString(), "snapshot", "list").out()).contains(" verified ");

                Path target = volume.mountPoint().resolve("restored");
                CommandRun restore = CommandRun.of("-c", file.toString(), "snapshot", "restore", name, "--to",
                        target.toString());
                assertThat(restore.exitCode()).as(restore.err()).isZero();
                assertThat(restore.out()).contains("ready to start");
                Path data = target.resolve(subvolume.relativize(((LocalPostgresCluster) master).dataDirectory()));
                assertThat(data.resolve("backup_label")).exists();
                assertThat(data.resolve("recovery.signal")).exists();
                assertThat(data.resolve("postmaster.pid")).doesNotExist();

                CommandRun badName = CommandRun.of("-c", file.toString(), "snapshot", "verify", "lifeboat-nope");
                assertThat(badName.exitCode()).isEqualTo(2);
                assertThat(badName.err()).startsWith("error: no complete snapshot named lifeboat-nope in ");

                CommandRun prune = CommandRun.of("-c", file.toString(), "snapshot", "prune", "--dry-run");
                assertThat(prune.out()).startsWith("keep   " + name + ": keeps slot 1h@");
                ExternalCommand.of("btrfs", "subvolume", "delete", target.toString()).timeout(Duration.ofMinutes(1)).run();
            }
        }
    }

    @Test
    void restore_worksInEveryDocumentedFormAsTyped() throws Exception {
        try (LoopVolume volume = LoopVolume.btrfs(2L << 30)) {
            Path subvolume = volume.createSubvolume("pg");
            try (PostgresCluster master = PostgresCluster.builder().parentDirectory(subvolume).start()) {
                master.execute("CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 1000) g");
                Path file = config(master, """
                        provider: btrfs
                        volume: %s
                        directory: %s
                        verify: false
                        """.formatted(subvolume, volume.mountPoint().resolve("snapshots")));
                CommandRun take = CommandRun.of("-c", file.toString(), "snapshot", "take");
                assertThat(take.exitCode()).as(take.err()).isZero();
                String name = take.out().split(" ")[1].replace(":", "");
                Path masterSockets = Path.of(master.queryValue("SHOW unix_socket_directories"));
                Path dataInVolume = subvolume.relativize(master.dataDirectory());

                // --port P: started, its socket where the master has its own (the help's "as on the master").
                Path started = volume.mountPoint().resolve("started");
                int port = freePort();
                CommandRun restore = CommandRun.of("-c", file.toString(), "snapshot", "restore", name, "--to",
                        started.toString(), "--port", Integer.toString(port));
                try {
                    assertThat(restore.err()).isEmpty();
                    assertThat(restore.out()).isEqualTo("snapshot " + name + " restored: PostgreSQL is running on port "
                            + port + ", data directory " + started.resolve(dataInVolume) + "\n");
                    assertThat(psql(master, masterSockets, port, "SELECT count(*) FROM kept")).isEqualTo("1000");
                } finally {
                    stopServer(master, started.resolve(dataInVolume));
                }

                // --port P --socket-dir D
                Path sockets = Files.createDirectory(volume.mountPoint().resolve("sockets"));
                ExternalCommand.of("chown", "postgres", sockets.toString()).run();
                Path withSockets = volume.mountPoint().resolve("with-sockets");
                int otherPort = freePort();
                restore = CommandRun.of("-c", file.toString(), "snapshot", "restore", name, "--to",
                        withSockets.toString(), "--port", Integer.toString(otherPort), "--socket-dir", sockets.toString());
                try {
                    assertThat(restore.exitCode()).as(restore.err()).isZero();
                    assertThat(psql(master, sockets, otherPort, "SELECT count(*) FROM kept")).isEqualTo("1000");
                } finally {
                    stopServer(master, withSockets.resolve(dataInVolume));
                }

                // Neither: left ready to start, and the command it prints starts it as typed.
                Path ready = volume.mountPoint().resolve("ready");
                restore = CommandRun.of("-c", file.toString(), "snapshot", "restore", name, "--to", ready.toString());
                assertThat(restore.exitCode()).as(restore.err()).isZero();
                String start = restore.out().lines().filter(line -> line.startsWith("start it with: ")).findFirst()
                        .orElseThrow().substring("start it with: ".length());
                int thirdPort = freePort();
                try {
                    ExternalCommand.of("sh", "-c", start.replace("PORT", Integer.toString(thirdPort)) + " >/dev/null")
                            .in(Path.of("/")).timeout(Duration.ofMinutes(2)).run();
                    assertThat(psql(master, masterSockets, thirdPort, "SELECT count(*) FROM kept")).isEqualTo("1000");
                } finally {
                    stopServer(master, ready.resolve(dataInVolume));
                }
            }
        }
    }

    private static String psql(PostgresCluster master, Path sockets, int port, String sql) {
        return ExternalCommand.of(master.binDirectory().resolve("psql").toString(), "-X", "-A", "-t", "-h",
                sockets.toString(), "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres", "-c", sql)
                .asUser("postgres").in(Path.of("/")).timeout(Duration.ofSeconds(30)).run().stdout().strip();
    }

    private static void stopServer(PostgresCluster master, Path data) {
        ExternalCommand.of(master.binDirectory().resolve("pg_ctl").toString(), "-D", data.toString(), "-m",
                "immediate", "-w", "stop").asUser("postgres").in(Path.of("/")).timeout(Duration.ofMinutes(1))
                .runAllowingFailure();
    }

    private static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void run_takesOnTheSmallestSpacingsBoundariesUntilSigterm() throws Exception {
        try (LoopVolume volume = LoopVolume.btrfs(1L << 30)) {
            Path subvolume = volume.createSubvolume("pg");
            try (PostgresCluster master = PostgresCluster.builder().parentDirectory(subvolume).start()) {
                Path snapshots = volume.mountPoint().resolve("snapshots");
                Path file = config(master, """
                        provider: btrfs
                        volume: %s
                        directory: %s
                        schedule: 3s,1m/10m
                        verify: false
                        """.formatted(subvolume, snapshots));
                Process run = runWithStubs(null, file, "snapshot", "run");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (count(snapshots) < 2 && System.nanoTime() < deadline && run.isAlive()) {
                    Thread.sleep(100);
                }
                run.destroy();
                assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(run.exitValue()).as("exit code after SIGTERM").isIn(0, 143);
                List<String> names = names(snapshots);
                assertThat(names).hasSizeGreaterThanOrEqualTo(2).allMatch(n -> !n.endsWith("_incomplete"));
                // Named when the take begins: on the boundary, or within the next second on a busy machine.
                assertThat(names).allSatisfy(n -> assertThat(Integer.parseInt(n.substring(n.length() - 3, n.length() - 1)) % 3)
                        .as("%s starts on a 3 s boundary", n).isLessThanOrEqualTo(1));
            }
        }
    }

    private static List<String> names(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long count(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (var entries = Files.list(directory)) {
            return entries.filter(p -> !p.getFileName().toString().endsWith("_incomplete")).count();
        }
    }

    @Test
    void lvmAndZfs_issueTheirExactCommands(@TempDir Path stubs) throws Exception {
        Path log = stubs.resolve("calls.log");
        for (String tool : List.of("lvs", "lvcreate", "lvrename", "lvremove", "zfs", "fsfreeze")) {
            Path stub = stubs.resolve(tool);
            Files.writeString(stub, "#!/bin/sh\necho \"" + tool + " $*\" >> " + log + "\n");
            Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (PostgresCluster master = PostgresCluster.builder().start()) {
            Path mount = ((LocalPostgresCluster) master).dataDirectory().getParent();
            Path lvm = config(master, """
                    provider: lvm
                    volume: vg0/pgdata
                    mount: %s
                    lvm_snapshot_size: 1GiB
                    directory: %s
                    verify: false
                    """.formatted(mount, dir.resolve("lvm-snapshots")));
            assertThat(runWithStubs(stubs, lvm, "snapshot", "take").waitFor(120, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(1_100);
            assertThat(runWithStubs(stubs, lvm, "snapshot", "take").waitFor(120, TimeUnit.SECONDS)).isTrue();
            List<String> calls = Files.readAllLines(log);
            List<String> names = names(dir.resolve("lvm-snapshots"));
            assertThat(names).hasSize(1);
            String first = names.get(0);
            String firstLvmCalls = String.join("\n", calls.subList(0, 5));
            assertThat(firstLvmCalls).isEqualTo(String.join("\n",
                    "lvs --noheadings -o lv_name vg0/pgdata",
                    "fsfreeze -f " + mount,
                    "lvcreate --snapshot --name " + first + "_incomplete --size 1073741824b vg0/pgdata",
                    "fsfreeze -u " + mount,
                    "lvrename vg0 " + first + "_incomplete " + first));
            assertThat(calls).last().asString().startsWith("lvremove --yes vg0/lifeboat-").doesNotContain(first);

            Files.delete(log);
            Path zfs = config(master, """
                    provider: zfs
                    volume: tank/pg
                    mount: %s
                    directory: %s
                    verify: false
                    """.formatted(mount, dir.resolve("zfs-snapshots")));
            assertThat(runWithStubs(stubs, zfs, "snapshot", "take").waitFor(120, TimeUnit.SECONDS)).isTrue();
            String name = names(dir.resolve("zfs-snapshots")).get(0);
            assertThat(Files.readAllLines(log)).containsExactly(
                    "zfs list -H -o name tank/pg",
                    "zfs snapshot tank/pg@" + name + "_incomplete",
                    "zfs rename tank/pg@" + name + "_incomplete tank/pg@" + name);
        }
    }

    @Test
    void masterStoppingDuringTheSnapshot_isOneLineSayingSoAndThatTheSnapshotWasAbandoned() throws Exception {
        try (PostgresCluster master = PostgresCluster.builder().start()) {
            Path data = master.dataDirectory();
            Path file = config(master, """
                    provider: command
                    volume: %s
                    directory: %s
                    verify: false
                    commands:
                      create: runuser -u postgres -- %s -D %s -m immediate -w stop
                    """.formatted(data.getParent(), dir.resolve("stopped-snapshots"),
                    master.binDirectory().resolve("pg_ctl"), data));

            CommandRun take = CommandRun.of("-c", file.toString(), "snapshot", "take");

            assertThat(take.exitCode()).isEqualTo(2);
            assertThat(take.out()).isEmpty();
            assertThat(take.errLines()).hasSize(2);
            assertThat(take.errLines().get(0)).matches("error: snapshot lifeboat-\\S+Z abandoned: the master stopped"
                    + " during the snapshot \\(its connection closed while in backup mode\\)");
            assertThat(take.errLines().get(1)).isEqualTo("hint: start the master and take the snapshot again;"
                    + " nothing of this one was kept");
            assertThat(names(dir.resolve("stopped-snapshots"))).as("nothing half-made is left").isEmpty();
        }
    }

    @Test
    void killDuringTake_leavesTheMasterThawedAndOutOfBackupModeWithinTheBound() throws Exception {
        try (LoopVolume volume = LoopVolume.ext4(1L << 30)) {
            Path parent = volume.mountPoint().resolve("pg");
            Files.createDirectories(parent);
            Files.setPosixFilePermissions(volume.mountPoint(), PosixFilePermissions.fromString("rwxr-xr-x"));
            try (PostgresCluster master = PostgresCluster.builder().parentDirectory(parent).start()) {
                master.execute("CREATE TABLE t (id int)");
                Path marker = dir.resolve("create-started");
                Path file = config(master, """
                        provider: command
                        volume: %s
                        mount: %s
                        freeze: true
                        lock_timeout: 5s
                        directory: %s
                        commands:
                          create: sh -c "touch %s; exec sleep 600"
                        """.formatted(volume.mountPoint(), volume.mountPoint(), dir.resolve("snapshots"), marker));
                Process lifeboat = runWithStubs(null, file, "snapshot", "take");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(marker) && System.nanoTime() < deadline && lifeboat.isAlive()) {
                    Thread.sleep(20);
                }
                assertThat(marker).as("the snapshot command ran (the filesystem is frozen now)").exists();
                long frozenAt = System.nanoTime();
                CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                    try (Connection c = master.connect(); Statement s = c.createStatement()) {
                        s.execute("INSERT INTO t VALUES (1); CHECKPOINT");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread.sleep(500);
                assertThat(write).as("writes wait while the filesystem is frozen").isNotDone();
                lifeboat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

                write.get(20, TimeUnit.SECONDS);
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - frozenAt);
                assertThat(seconds).as("thawed within lock_timeout (5 s) plus slack").isLessThanOrEqualTo(8);
                assertThat(master.queryValue("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lifeboat'"))
                        .as("the backup session is gone, so backup mode ended").isEqualTo("0");
                ExternalCommand.of("pkill", "-f", "exec sleep 600").timeout(Duration.ofSeconds(10)).runAllowingFailure();
                ExternalCommand.of("pkill", "-x", "-f", "sleep 600").timeout(Duration.ofSeconds(10)).runAllowingFailure();
            }
        }
    }

    private Process runWithStubs(Path stubs, Path config, String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("-c", config.toString()));
        argv.addAll(List.of(args));
        // Snapshot commands spend their life starting and waiting on the servers: compiled as the launcher does.
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.shortLivedCommand("256m", argv)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("lifeboat.log").toFile()));
        if (stubs != null) {
            builder.environment().put("PATH", stubs + ":" + System.getenv("PATH"));
        }
        return builder.start();
    }
}
