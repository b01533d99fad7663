package io.lifeboat.cli;

import io.lifeboat.testkit.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code java} command line of the packaged lifeboat command when a test runs it as its own process.
 *
 * <p>Starting is most of what such a process does in a test (SyncCrashIT alone starts 21), and on a busy 2-core
 * machine a start of {@code sync run} up to its first applied row cost about 8.5 s of CPU. Two things the launcher
 * does too take most of that away, without changing what the process does once started:
 * <ul>
 *   <li>class data sharing: the classes a {@code sync run} loads (picocli, logging, JDBC, Debezium, Kafka Connect),
 *       parsed and verified once per test JVM into an archive by a run against a throwaway pair of clusters, then
 *       mapped by every child (about 8.5 → 5.5 s of CPU);</li>
 *   <li>for processes that live seconds (killed or stopped soon after their start), only the C1 compiler, as the
 *       launcher runs its short commands (with the archive, about 3.6 s of CPU).</li>
 * </ul>
 * A child whose archive is missing or stale runs without it, silently (the JVM checks the jar itself), so nothing
 * here can change a test's outcome, only its duration.
 */
final class ChildJvm {
    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
    private static final Path JAR = Path.of("target", "lifeboat.jar").toAbsolutePath();
    /** The JVM's own messages about the archive (stale, unusable) would land in the output the tests read. */
    private static final List<String> QUIET_CDS = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    private static final Duration TRAINING_WAIT = Duration.ofSeconds(120);
    private static Optional<Path> archive;

    private ChildJvm() {
    }

    /** {@code java -Xmx<heap> … -jar lifeboat.jar args}, compiled as the launcher runs {@code sync run}. */
    static List<String> command(String heap, List<String> args) {
        return command(heap, List.of(), args);
    }

    /** The same for a process that lives seconds: C1 only, as the launcher runs its short commands. */
    static List<String> shortLivedCommand(String heap, List<String> args) {
        return command(heap, List.of("-XX:TieredStopAtLevel=1"), args);
    }

    /** @param jvmOptions before {@code -jar}: JIT flags, a {@code -D} system property */
    static List<String> command(String heap, List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>(List.of("java", "-Xmx" + heap));
        command.addAll(jvmOptions);
        archive().ifPresent(file -> {
            command.add("-XX:SharedArchiveFile=" + file);
            command.addAll(QUIET_CDS);
        });
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(args);
        return command;
    }

    /** The archive for this JVM's children, made by the first call; empty when it could not be made. */
    private static synchronized Optional<Path> archive() {
        if (archive == null) {
            long begin = System.nanoTime();
            archive = train();
            LOG.info("class data sharing archive for child JVMs: {} in {} ms", archive.map(Path::toString)
                    .orElse("none"), Duration.ofNanos(System.nanoTime() - begin).toMillis());
        }
        return archive;
    }

    /**
     * A {@code sync run} through its initial copy and one streamed change, stopped with SIGTERM: the JVM writes the
     * classes it loaded into the archive as it exits.
     */
    private static Optional<Path> train() {
        Path archiveFile = JAR.resolveSibling("lifeboat-children.jsa");
        Path dir = null;
        Process sync = null;
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start()) {
            dir = Files.createTempDirectory("lifeboat-cds-");
            for (PostgresCluster cluster : List.of(master, standby)) {
                cluster.execute("create table t (id int primary key, v text)");
            }
            master.execute("insert into t values (1, 'copied')");
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                    """.formatted(master.port(), standby.port()));
            Path dumped = dir.resolve("children.jsa");
            List<String> command = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:ArchiveClassesAtExit=" + dumped));
            command.addAll(QUIET_CDS);
            command.addAll(List.of("-jar", JAR.toString(), "-c", config.toString(), "sync", "run"));
            sync = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sync.log").toFile()).start();
            long deadline = System.nanoTime() + TRAINING_WAIT.toNanos();
            if (!await(deadline, () -> standby.queryValue("select count(*) from t").equals("1"))) {
                return none("the training sync run copied nothing", dir);
            }
            master.execute("insert into t values (2, 'streamed')");
            if (!await(deadline, () -> standby.queryValue("select count(*) from t").equals("2"))) {
                return none("the training sync run streamed nothing", dir);
            }
            sync.destroy();
            if (!sync.waitFor(TRAINING_WAIT.toSeconds(), TimeUnit.SECONDS) || sync.exitValue() != 0
                    || !Files.isRegularFile(dumped) || Files.size(dumped) == 0) {
                return none("the training sync run did not exit cleanly with an archive", dir);
            }
            Files.move(dumped, archiveFile, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(archiveFile);
        } catch (IOException | RuntimeException e) {
            LOG.warn("no class data sharing archive for child JVMs ({}); they start without one", e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (sync != null && sync.isAlive()) {
                sync.destroyForcibly();
            }
            if (dir != null) {
                io.lifeboat.core.process.ExternalCommand.of("rm", "-rf", "--", dir.toString())
                        .timeout(Duration.ofSeconds(30)).runAllowingFailure();
            }
        }
    }

    private static Optional<Path> none(String why, Path dir) {
        String log;
        try {
            log = Files.readString(dir.resolve("sync.log"));
        } catch (IOException e) {
            log = e.toString();
        }
        LOG.warn("no class data sharing archive for child JVMs: {}; they start without one; its log:\n{}", why, log);
        return Optional.empty();
    }

    private static boolean await(long deadline, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }
}
