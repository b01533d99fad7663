package io.lifeboat.cli.demo;

import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.testkit.LoopVolume;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.Reaper;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Everything the demo starts, on embedded parts: a master (on a btrfs loop volume as root, so snapshots are
 * instant; in a plain directory snapshotted by the {@code copy} provider otherwise), a standby, an S3 server, a key
 * pair and the configuration that ties them together. {@link #close} stops and removes all of it, newest first, once.
 * On Ctrl-C the test kit's reapers do the same from their own shutdown hook (newest first, so the clusters go before
 * the volume they sit on); this one's hook only says so and silences the story, whose next steps would only fail.
 */
public final class DemoWorld implements AutoCloseable {
    /** The master's and standby's schema: customers, and the orders the application places. */
    private static final String SCHEMA = """
            CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, total numeric(10,2) NOT NULL,
                                 placed_at timestamptz NOT NULL DEFAULT now());
            """;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Thread hook = new Thread(this::interrupted, "lifeboat-demo-interrupted");
    private volatile boolean interrupted;
    private boolean closed;
    private Path directory;
    private LoopVolume volume;
    private Path masterVolume;
    private PostgresCluster master;
    private PostgresCluster standby;
    private S3Server s3;
    private PgpKeys keys;
    private Path config;
    private Path target;

    public DemoWorld() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True when the master gets a btrfs loop volume (it needs root: losetup, mount). */
    public static boolean btrfsPossible() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Starts the master and the standby and gives both the shop schema; returns where the master's data directory is. */
    public synchronized String startDatabases() throws IOException {
        if (btrfsPossible()) {
            volume = track(LoopVolume.btrfs(1L << 30));
            directory = Files.createDirectories(volume.mountPoint().resolve("demo"));
            masterVolume = volume.createSubvolume("pg");
        } else {
            directory = Files.createTempDirectory("lifeboat-demo-");
            // Armed before the clusters inside it, so that on Ctrl-C it is reaped after them.
            Reaper removal = Reaper.arm("demo directory " + directory, List.of(List.of("rm", "-rf",
                    directory.toString())));
            track(() -> removal.reap(Duration.ofMinutes(1)));
            masterVolume = Files.createDirectories(directory.resolve("volume"));
        }
        // Both initdb runs at once: most of this step is initdb waiting on the disk.
        CompletableFuture<PostgresCluster> standbyStart = CompletableFuture.supplyAsync(
                () -> PostgresCluster.builder().start());
        try {
            master = track(PostgresCluster.builder().parentDirectory(masterVolume).start());
        } finally {
            standby = track(standbyStart.join());
        }
        for (PostgresCluster cluster : List.of(master, standby)) {
            cluster.createDatabase("shop");
            cluster.execute("shop", SCHEMA);
        }
        master.execute("shop", "INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com'"
                + " FROM generate_series(1, 1000) g");
        return volume != null ? "on a btrfs subvolume of a 1 GiB loop device (" + volume.device() + ")"
                : "in a plain directory (not root: no loop volume; snapshots use the copy provider)";
    }

    public synchronized void startS3() {
        s3 = track(S3Server.start());
        s3.createBucket("backups");
    }

    /** Generates the backup key pair; the public key goes where the server reads it, the private key beside it. */
    public synchronized PgpKeys generateKeys() throws IOException {
        keys = PgpKeys.generate("Lifeboat Demo <demo@lifeboat.invalid>", "demo passphrase".toCharArray());
        keys.writeArmoredPublicKey(directory.resolve("backup.pub.asc"));
        keys.writeArmoredSecretKey(directory.resolve("backup.key.asc"));
        writeSecret("backup.pass", "demo passphrase\n");
        return keys;
    }

    /** Writes lifeboat.yml: both servers, snapshots, the archive's two targets, and how to recover. */
    public synchronized Path writeConfig() throws IOException {
        writeSecret("s3.secret", s3.secretKey() + "\n");
        Files.createDirectories(directory.resolve("offsite"));
        target = directory.resolve("recovered");
        String snapshots = volume != null
                ? "provider: btrfs\n  volume: " + masterVolume + "\n  directory: " + volume.mountPoint().resolve("snapshots")
                : "provider: copy\n  volume: " + masterVolume + "\n  directory: " + directory.resolve("snapshots")
                        + "\n  lock_timeout: 5m";
        config = directory.resolve("lifeboat.yml");
        Files.writeString(config, """
                master: {host: 127.0.0.1, port: %d, database: shop, user: postgres, sslmode: disable, data_directory: %s}
                standby: {host: 127.0.0.1, port: %d, database: shop, user: postgres, sslmode: disable, connect_timeout: 2s}
                snapshots:
                  %s
                  verify: false
                archive:
                  chunk_size: 1MiB
                  recipients: [backup.pub.asc]
                  targets:
                    - {name: primary, type: s3, bucket: backups, endpoint: %s, path_style: true, access_key_id: %s,
                       secret_access_key_file: %s}
                    - {name: offsite, type: filesystem, path: %s}
                recovery:
                  target: {data_directory: %s, port: %d}
                  key: backup.key.asc
                  passphrase_file: backup.pass
                  fence_command: "sh -c 'echo fenced the old master {host}:{port} >> %s'"
                  switch_command: "sh -c 'echo the application now uses {host}:{port}/{database} after {rung} >> %s'"
                """.formatted(master.port(), master.dataDirectory(), standby.port(), snapshots, s3.endpoint(),
                s3.accessKey(), directory.resolve("s3.secret"), directory.resolve("offsite"), target, freePort(),
                directory.resolve("fenced.log"), directory.resolve("switched.log")), StandardCharsets.UTF_8);
        return config;
    }

    /** True once Ctrl-C (or a signal) started the JVM's shutdown. */
    public boolean isInterrupted() {
        return interrupted;
    }

    private void interrupted() {
        interrupted = true;
        System.out.println();
        System.out.println("demo: interrupted; stopping and removing everything it started");
        System.out.flush();
    }

    /** Kills the master's server and removes everything in its data directory, as a lost disk would. */
    public synchronized void destroyMaster() {
        master.kill();
        ExternalCommand.of("sh", "-c", "rm -rf \"$1\"/*", "sh", master.dataDirectory().toString())
                .timeout(Duration.ofMinutes(1)).run();
    }

    /** Adds something to stop at the end, after everything started so far. */
    public synchronized <T extends AutoCloseable> T track(T resource) {
        started.push(resource);
        return resource;
    }

    public Path directory() {
        return directory;
    }

    public PostgresCluster master() {
        return master;
    }

    public PostgresCluster standby() {
        return standby;
    }

    public S3Server s3() {
        return s3;
    }

    public Path config() {
        return config;
    }

    /** Stops and removes everything, newest first; a failure to stop one thing does not keep the rest running. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception | AssertionError e) {
                System.err.println("demo: cleanup: " + e.getMessage());
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down.
        }
    }

    private void writeSecret(String name, String content) throws IOException {
        Path file = directory.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
