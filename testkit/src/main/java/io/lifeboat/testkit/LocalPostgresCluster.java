package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.core.process.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster made by this machine's {@code initdb} in a directory of its own, served on a free 127.0.0.1 port.
 *
 * <p>Layout: {@code <dir>/data} (PGDATA), {@code <dir>/socket} (unix socket), {@code <dir>/postgres.log}. As root,
 * every PostgreSQL program runs as OS user {@code postgres} and the directory belongs to it. A {@link Reaper} stops
 * the server and removes the directory if the JVM dies without {@link #close()}.
 */
public final class LocalPostgresCluster implements PostgresCluster {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPostgresCluster.class);
    private static final String OS_USER = "postgres";
    private static final String SUPERUSER = "postgres";
    private static final String INCLUDED_CONF = "lifeboat.conf";
    private static final Duration SERVER_WAIT = Duration.ofSeconds(60);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;
    private static final Set<Integer> PORTS_HANDED_OUT = ConcurrentHashMap.newKeySet();

    /*
     * Run by the reaper with: <directory> <data directory> <pg_ctl argv...>. A JVM killed in the middle of start()
     * leaves a pg_ctl that may bring a postmaster up just after the first stop, or write its log into a directory
     * being removed; so stop and remove again until the directory stays gone.
     */
    private static final String REAPER_SCRIPT = "dir=$1; data=$2; shift 2; i=0\n"
            + "while [ -e \"$dir\" ] && [ $i -lt 10 ]; do\n"
            + "  [ $i -gt 0 ] && sleep 1\n"
            + "  \"$@\" -D \"$data\" -w -t 30 -m immediate stop\n"
            + "  \"$@\" -D \"$data\" status || rm -rf \"$dir\"\n"
            + "  i=$((i+1))\n"
            + "done\n";

    private final Path binDirectory;
    private final Path directory;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final Path logFile;
    private final Map<String, String> settings;
    private final Reaper reaper;
    private int port;
    private boolean closed;

    private LocalPostgresCluster(Path binDirectory, Path directory, Map<String, String> settings, Reaper reaper) {
        this.binDirectory = binDirectory;
        this.directory = directory;
        this.dataDirectory = directory.resolve("data");
        this.socketDirectory = directory.resolve("socket");
        this.logFile = directory.resolve("postgres.log");
        this.settings = settings;
        this.reaper = reaper;
    }

    static LocalPostgresCluster create(PostgresCluster.Builder builder, Path binDirectory) {
        Path directory = createDirectory(builder.parentDirectory());
        List<String> cleanup = new ArrayList<>(List.of("sh", "-c", REAPER_SCRIPT, "sh",
                directory.toString(), directory.resolve("data").toString()));
        cleanup.addAll(asPostgres(List.of(binDirectory.resolve("pg_ctl").toString())));
        Reaper reaper = Reaper.arm("postgres cluster " + directory, List.of(cleanup));
        LocalPostgresCluster cluster = new LocalPostgresCluster(binDirectory, directory, builder.settings(), reaper);
        try {
            cluster.initialize(builder.dataChecksums());
            return cluster;
        } catch (RuntimeException e) {
            try {
                cluster.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static Path createDirectory(Path parent) {
        Path under = parent == null ? Path.of(System.getProperty("java.io.tmpdir")) : parent;
        if (OsUser.isRoot()) {
            requireReachableByPostgres(under);
        }
        try {
            Path directory = Files.createTempDirectory(under, "lifeboat-pg-");
            Files.createDirectory(directory.resolve("socket"));
            if (OsUser.isRoot()) {
                giveToPostgres(directory);
                giveToPostgres(directory.resolve("socket"));
            }
            return directory;
        } catch (IOException e) {
            throw new LifeboatException("cannot create a cluster directory under " + under + " (" + e + ")", e);
        }
    }

    private void initialize(boolean dataChecksums) {
        long begin = System.nanoTime();
        List<String> options = new ArrayList<>(List.of("-U", SUPERUSER, "--auth=trust", "--locale=C.UTF-8",
                "-E", "UTF8",
                // initdb's own fsync only guards against a power cut, which no test can cause; the server's
                // fsync setting is left alone so durability stays real.
                "--no-sync"));
        if (dataChecksums) {
            options.add("--data-checksums");
        }
        InitdbTemplate.copyTo(dataDirectory, new InitdbTemplate.Kind(binDirectory, options), this::postgresCommand);
        port = freePort();
        try {
            Files.writeString(dataDirectory.resolve("postgresql.conf"),
                    "\n# lifeboat testkit: port, socket and the test's settings\ninclude '" + INCLUDED_CONF + "'\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write postgresql.conf in " + dataDirectory, e);
        }
        writeIncludedConf();
        LOG.info("initialized {} in {} ms", dataDirectory, millisSince(begin));
    }

    /** Rewritten whenever the port changes; it lives in PGDATA so copies of the data directory carry it. */
    private void writeIncludedConf() {
        StringBuilder conf = new StringBuilder()
                .append("port = ").append(port).append('\n')
                .append("unix_socket_directories = ").append(confValue(socketDirectory.toString())).append('\n');
        settings.forEach((name, value) -> conf.append(name).append(" = ").append(confValue(value)).append('\n'));
        Path file = dataDirectory.resolve(INCLUDED_CONF);
        try {
            Files.writeString(file, conf, StandardCharsets.UTF_8);
            if (OsUser.isRoot()) {
                giveToPostgres(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public synchronized void start() {
        requireOpen();
        if (postmaster().isPresent()) {
            return;
        }
        awaitStalePostmasterReaped();
        long begin = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                pgCtl("-l", logFile.toString(), "-w", "-t", String.valueOf(SERVER_WAIT.toSeconds()), "start").run();
                LOG.info("postgres {} started on port {} in {} ms", dataDirectory, port, millisSince(begin));
                return;
            } catch (ExternalCommandException e) {
                // Between picking a free port and binding it another process may take it; only then try another.
                if (attempt < START_ATTEMPTS && postmaster().isEmpty() && !portFree(port)) {
                    LOG.debug("port {} was taken meanwhile, trying another", port);
                    port = freePort();
                    writeIncludedConf();
                    continue;
                }
                throw new LifeboatException("cannot start postgres in " + dataDirectory + " on port " + port
                        + " (" + lastLogLine() + ")", "see " + logFile, e);
            }
        }
    }

    @Override
    public synchronized void stop() {
        requireOpen();
        stopWithMode("fast");
    }

    private void stopWithMode(String mode) {
        Optional<ProcessHandle> postmaster = postmaster();
        if (postmaster.isEmpty()) {
            return;
        }
        long begin = System.nanoTime();
        ExternalCommand.Result result = pgCtl("-w", "-t", String.valueOf(SERVER_WAIT.toSeconds()), "-m", mode, "stop")
                .runAllowingFailure();
        // pg_ctl exits 1 both for "not running" and for real failures: the postmaster's state tells them apart.
        if (result.exitCode() != 0 && postmaster().isPresent()) {
            throw new LifeboatException("cannot stop postgres in " + dataDirectory + " (pg_ctl exit "
                    + result.exitCode() + ": " + result.stderr().strip() + ")", "see " + logFile, null);
        }
        // pg_ctl returns once postmaster.pid is gone, a moment before the process itself.
        awaitGone(List.of(postmaster.get()), "stop");
        LOG.info("postgres {} stopped ({}) in {} ms", dataDirectory, mode, millisSince(begin));
    }

    @Override
    public synchronized void stopImmediately() {
        requireOpen();
        stopWithMode("immediate");
    }

    @Override
    public synchronized void restart() {
        stop();
        start();
    }

    @Override
    public synchronized void kill() {
        requireOpen();
        ProcessHandle postmaster = postmaster().orElseThrow(() ->
                new LifeboatException("cannot kill postgres in " + dataDirectory + " (not running)"));
        // Frozen, the postmaster cannot fork a backend between listing its children and killing them.
        ExternalCommand.of("kill", "-STOP", String.valueOf(postmaster.pid())).timeout(Duration.ofSeconds(10)).run();
        List<ProcessHandle> victims = Stream.concat(Stream.of(postmaster), postmaster.descendants())
                .collect(Collectors.toList());
        victims.forEach(ProcessHandle::destroyForcibly);
        awaitGone(victims, "SIGKILL");
        LOG.info("postgres {} killed ({} processes)", dataDirectory, victims.size());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        // The data is about to be deleted, so it needs no shutdown checkpoint.
        try {
            stopWithMode("immediate");
        } catch (LifeboatException e) {
            LOG.warn("{}; killing it", e.getMessage());
            kill();
        }
        DirectoryTree.delete(directory);
        reaper.disarm();
        closed = true;
        LOG.info("postgres cluster {} removed", directory);
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public synchronized int port() {
        return port;
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public Path binDirectory() {
        return binDirectory;
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    /** The cluster's own directory: data, socket and log; what {@link #close()} removes. */
    public Path directory() {
        return directory;
    }

    public Path socketDirectory() {
        return socketDirectory;
    }

    /** The live postmaster, read from {@code postmaster.pid}; empty when the server is not running. */
    public Optional<ProcessHandle> postmaster() {
        OptionalLong pid = pidFromFile();
        return pid.isPresent() && ProcessTable.running(pid.getAsLong())
                ? ProcessHandle.of(pid.getAsLong())
                : Optional.empty();
    }

    private OptionalLong pidFromFile() {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() || lines.get(0).isBlank()
                    ? OptionalLong.empty()
                    : OptionalLong.of(Long.parseLong(lines.get(0).strip()));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pidFile, e);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * After {@link #kill()} the postmaster stays a zombie until init reaps it (up to 2 s on some VMs), and postgres
     * takes a pid that still exists for a live server and refuses to start.
     */
    private void awaitStalePostmasterReaped() {
        OptionalLong pid = pidFromFile();
        if (pid.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        while (ProcessHandle.of(pid.getAsLong()).isPresent() && !ProcessTable.running(pid.getAsLong())) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("the killed postmaster " + pid.getAsLong() + " of " + dataDirectory
                        + " was not reaped within " + KILL_WAIT.toSeconds() + " s",
                        "the init process of this machine does not reap orphans", null);
            }
            pause(Duration.ofMillis(20));
        }
    }

    @Override
    public String toString() {
        return "postgres " + dataDirectory + " on " + host() + ":" + port;
    }

    private void awaitGone(List<ProcessHandle> processes, String after) {
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        while (processes.stream().anyMatch(ProcessTable::running)) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("postgres in " + dataDirectory + " still runs " + KILL_WAIT.toSeconds()
                        + " s after " + after + " (pids " + processes.stream().filter(ProcessTable::running)
                        .map(p -> String.valueOf(p.pid())).collect(Collectors.joining(", ")) + ")");
            }
            pause(Duration.ofMillis(10));
        }
    }

    private ExternalCommand pgCtl(String... arguments) {
        List<String> argv = new ArrayList<>(List.of(program("pg_ctl"), "-D", dataDirectory.toString()));
        argv.addAll(List.of(arguments));
        return postgresCommand(argv).timeout(SERVER_WAIT.plusSeconds(10));
    }

    private ExternalCommand postgresCommand(List<String> argv) {
        // As root, the postgres user's cwd would otherwise be /root, which it cannot enter.
        return ExternalCommand.of(argv).asUser(OS_USER).in(directory);
    }

    private String program(String name) {
        return binDirectory.resolve(name).toString();
    }

    private void requireOpen() {
        if (closed) {
            throw new LifeboatException("postgres cluster " + directory + " is closed");
        }
    }

    /** The line that says why the server did not start: the last FATAL or PANIC, else the last line. */
    private String lastLogLine() {
        try (Stream<String> lines = Files.lines(logFile, StandardCharsets.UTF_8)) {
            List<String> all = lines.filter(line -> !line.isBlank()).collect(Collectors.toList());
            for (int i = all.size() - 1; i >= 0; i--) {
                if (all.get(i).contains("FATAL:") || all.get(i).contains("PANIC:")) {
                    return all.get(i).strip();
                }
            }
            return all.isEmpty() ? "empty log" : all.get(all.size() - 1).strip();
        } catch (IOException | UncheckedIOException e) {
            return "no log";
        }
    }

    private static List<String> asPostgres(List<String> argv) {
        if (!OsUser.isRoot()) {
            return argv;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", OS_USER, "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    private static void requireReachableByPostgres(Path parent) {
        for (Path step = parent.toAbsolutePath(); step != null; step = step.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(step).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new LifeboatException("user postgres cannot reach " + parent + " (" + step
                            + " is not searchable by others)",
                            "create clusters under a directory user postgres can traverse, e.g. /tmp", null);
                }
            } catch (IOException e) {
                throw new LifeboatException("cannot read the permissions of " + step + " (" + e + ")", e);
            }
        }
    }

    static void giveToPostgres(Path path) throws IOException {
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(users.lookupPrincipalByName(OS_USER));
        view.setGroup(users.lookupPrincipalByGroupName(OS_USER));
    }

    private static int freePort() {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, loopback())) {
                int candidate = socket.getLocalPort();
                // Two clusters of this JVM must not be handed the same port before either has bound it.
                if (PORTS_HANDED_OUT.add(candidate)) {
                    return candidate;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
            }
        }
        throw new LifeboatException("cannot find a free port on 127.0.0.1 that this JVM has not used yet");
    }

    private static boolean portFree(int port) {
        try (ServerSocket ignored = new ServerSocket(port, 1, loopback())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static InetAddress loopback() throws IOException {
        return InetAddress.getByName("127.0.0.1");
    }

    private static String confValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static long millisSince(long begin) {
        return Duration.ofNanos(System.nanoTime() - begin).toMillis();
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while waiting for postgres", e);
        }
    }
}
