package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A {@code postgres:15} container, used only where this machine has no PostgreSQL binaries but Docker answers.
 * It serves SQL; anything that needs the server's files or process (stop with data kept, kill, the data directory)
 * is refused with a message saying so. Not exercised by this module's tests: the build machine has no Docker engine.
 */
public final class ContainerPostgresCluster implements PostgresCluster {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerPostgresCluster.class);
    private static final DockerImageName IMAGE = DockerImageName.parse("postgres:15");
    private static final String SUPERUSER = "postgres";
    private static final String NEEDS_LOCAL = "install PostgreSQL 15 (apt-get install -y postgresql-15) or set PG_BIN"
            + " to run tests that stop, kill or read the files of a cluster";

    private final PostgreSQLContainer<?> container;

    ContainerPostgresCluster(PostgresCluster.Builder builder) {
        container = new PostgreSQLContainer<>(IMAGE);
        container.withUsername(SUPERUSER);
        container.withPassword(SUPERUSER);
        container.withDatabaseName("postgres");
        // Same authentication as the local clusters, so callers never need a password.
        container.withEnv("POSTGRES_HOST_AUTH_METHOD", "trust");
        container.withEnv("POSTGRES_INITDB_ARGS",
                "--locale=C.UTF-8 -E UTF8" + (builder.dataChecksums() ? " --data-checksums" : ""));
        // Replaces Testcontainers' default "-c fsync=off": durability stays real unless the test asks otherwise.
        container.withCommand(command(builder.settings()).toArray(String[]::new));
    }

    private static List<String> command(Map<String, String> settings) {
        List<String> argv = new ArrayList<>(List.of("postgres"));
        settings.forEach((name, value) -> {
            // Inside the container the server must listen on its own interface for the port mapping to reach it.
            if (!name.equals("listen_addresses")) {
                argv.add("-c");
                argv.add(name + "=" + value);
            }
        });
        return argv;
    }

    @Override
    public synchronized void start() {
        if (container.isRunning()) {
            return;
        }
        long begin = System.nanoTime();
        container.start();
        LOG.info("postgres container {} started on {}:{} in {} ms", container.getContainerId(), host(), port(),
                (System.nanoTime() - begin) / 1_000_000);
    }

    @Override
    public void stop() {
        throw unsupported("stop");
    }

    @Override
    public void restart() {
        throw unsupported("restart");
    }

    @Override
    public void stopImmediately() {
        throw unsupported("stopImmediately");
    }

    @Override
    public void kill() {
        throw unsupported("kill");
    }

    @Override
    public synchronized void close() {
        container.stop();
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public Path dataDirectory() {
        throw unsupported("read the data directory of");
    }

    @Override
    public Path binDirectory() {
        throw unsupported("run local PostgreSQL programs for");
    }

    @Override
    public Path logFile() {
        throw unsupported("read the log file of");
    }

    @Override
    public String toString() {
        return "postgres container " + container.getContainerId();
    }

    private static LifeboatException unsupported(String operation) {
        return new LifeboatException("cannot " + operation + " a container cluster (it keeps its files inside Docker)",
                NEEDS_LOCAL, null);
    }
}
