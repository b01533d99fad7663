package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("root")
class LoopVolumeIT {
    private static final long SIZE = 512L << 20;

    @Test
    void subvolumeSnapshot_holdsTheFile_andCloseUnmountsAndDetaches() throws IOException {
        LoopVolume volume = LoopVolume.btrfs(SIZE);
        Path mountPoint = volume.mountPoint();
        String device = volume.device();
        try {
            assertThat(mounts()).contains(device + " " + mountPoint + " btrfs ");
            assertThat(loopDevices()).contains(device + ":");
            assertThat(run("findmnt", "-n", "-o", "FSTYPE", mountPoint.toString()).strip()).isEqualTo("btrfs");

            Path data = volume.createSubvolume("data");
            Files.writeString(data.resolve("file.txt"), "before snapshot");
            run("btrfs", "subvolume", "snapshot", "-r", data.toString(), mountPoint.resolve("snap").toString());
            Files.writeString(data.resolve("file.txt"), "after snapshot");

            assertThat(mountPoint.resolve("snap/file.txt")).hasContent("before snapshot");
            assertThat(run("btrfs", "subvolume", "list", mountPoint.toString())).contains("path data", "path snap");
            assertThatThrownBy(() -> Files.writeString(mountPoint.resolve("snap/file.txt"), "x"))
                    .as("a read-only snapshot").isInstanceOf(IOException.class);
        } finally {
            volume.close();
        }
        volume.close();

        assertThat(mounts()).doesNotContain(mountPoint.toString());
        assertThat(loopDevices()).doesNotContain(mountPoint.getParent().toString());
        assertThat(mountPoint.getParent()).doesNotExist();
    }

    @Test
    void postgresCluster_runsOnTheVolume_andASnapshotCarriesItsData() throws Exception {
        try (LoopVolume volume = LoopVolume.btrfs(SIZE)) {
            Path pg = volume.createSubvolume("pg");
            try (PostgresCluster cluster = PostgresCluster.builder().parentDirectory(pg).start()) {
                cluster.execute("create table t (v text); insert into t values ('on btrfs')");
                cluster.execute("checkpoint");

                run("btrfs", "subvolume", "snapshot", "-r", pg.toString(), volume.mountPoint().resolve("snap").toString());

                Path snapshotData = volume.mountPoint().resolve("snap")
                        .resolve(pg.relativize(cluster.dataDirectory()));
                assertThat(snapshotData.resolve("PG_VERSION")).hasContent(String.valueOf(cluster.majorVersion()));
                assertThat(run("findmnt", "-n", "-o", "FSTYPE", "-T", cluster.dataDirectory().toString()).strip())
                        .isEqualTo("btrfs");
            }
        }
    }

    private static String mounts() throws IOException {
        return Files.readString(Path.of("/proc/mounts"));
    }

    private static String loopDevices() {
        return run("losetup", "-a");
    }

    private static String run(String... argv) {
        return ExternalCommand.of(argv).run().stdout();
    }
}
