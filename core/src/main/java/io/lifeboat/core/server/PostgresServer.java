package io.lifeboat.core.server;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.process.PostgresPrograms;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL data directory on this host and the server that runs on it: start, stop, wait until it accepts
 * connections, promote, {@code pg_controldata}, {@code pg_amcheck}, a query through {@code psql}. Every program runs
 * as the data directory's owner (PostgreSQL refuses root), with the binaries of the directory's major version.
 *
 * <p>Settings given to {@link #start} go on the server's command line, so a start never edits the configuration
 * files of the directory it runs on. Where the server listens is read back from {@code postmaster.pid}.
 */
public final class PostgresServer {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
    private static final Duration COMMAND_LIMIT = Duration.ofMinutes(5);
    private static final Duration PAUSE = Duration.ofMillis(100);
    static final String LOG_FILE = "lifeboat-server.log";
    /** Between the fields of a row {@link #query} prints: the ASCII unit separator, which no name or value we read holds. */
    public static final String FIELD_SEPARATOR = "\u001f";

    private final Path dataDirectory;
    private final PostgresPrograms programs;
    private final String osUser;
    private final int majorVersion;

    private PostgresServer(Path dataDirectory, PostgresPrograms programs, String osUser, int majorVersion) {
        this.dataDirectory = dataDirectory;
        this.programs = programs;
        this.osUser = osUser;
        this.majorVersion = majorVersion;
    }

    /**
     * The server of an existing data directory.
     *
     * @throws LifeboatException when {@code dataDirectory} holds no PostgreSQL data directory
     */
    public static PostgresServer at(Path dataDirectory) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        int major = majorVersion(directory);
        try {
            return new PostgresServer(directory, PostgresPrograms.forMajor(major),
                    Files.getOwner(directory).getName(), major);
        } catch (IOException e) {
            throw new LifeboatException("cannot read the owner of " + directory + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A new cluster made by {@code initdb} at {@code dataDirectory} (created if absent; it must be empty), owned by
     * {@code osUser} when running as root, else by whoever runs this.
     *
     * @param initdbOptions further initdb options, e.g. {@code --auth=trust}
     */
    public static PostgresServer initdb(Path dataDirectory, PostgresPrograms programs, String osUser,
            List<String> initdbOptions) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        String owner = OsUser.isRoot() ? osUser : OsUser.current();
        try {
            Files.createDirectories(directory);
            if (OsUser.isRoot()) {
                ExternalCommand.of("chown", owner + ":", directory.toString()).timeout(COMMAND_LIMIT).run();
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot create " + directory + " (" + e.getMessage() + ")", e);
        }
        List<String> argv = new ArrayList<>(List.of(programs.program("initdb").toString(), "-D", directory.toString(),
                "-U", owner, "--locale=C.UTF-8", "-E", "UTF8"));
        argv.addAll(initdbOptions);
        ExternalCommand.of(argv).asUser(owner).in(Path.of("/")).timeout(COMMAND_LIMIT).run();
        return at(directory);
    }

    private static int majorVersion(Path directory) {
        try {
            String text = Files.readString(directory.resolve("PG_VERSION"), StandardCharsets.UTF_8).strip();
            return Integer.parseInt(text.contains(".") ? text.substring(0, text.indexOf('.')) : text);
        } catch (NoSuchFileException e) {
            throw new LifeboatException("no PostgreSQL data directory at " + directory + " (no PG_VERSION)");
        } catch (IOException | NumberFormatException e) {
            throw new LifeboatException("cannot read " + directory.resolve("PG_VERSION") + " (" + e.getMessage() + ")",
                    e);
        }
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public String osUser() {
        return osUser;
    }

    public int majorVersion() {
        return majorVersion;
    }

    public PostgresPrograms programs() {
        return programs;
    }

    /** Where {@link #start} sends the server's output: inside the data directory, the one place its owner surely writes. */
    public Path logFile() {
        return dataDirectory.resolve(LOG_FILE);
    }

    /** {@code pg_controldata}: the state, checkpoint and identity written in {@code global/pg_control}. */
    public ControlData controlData() {
        ExternalCommand.Result result = command(program("pg_controldata"), "-D", dataDirectory.toString())
                .env("LC_ALL", "C").env("TZ", "UTC").runAllowingFailure();
        if (result.exitCode() != 0) {
            throw new LifeboatException("pg_controldata cannot read " + dataDirectory + " (" + lastLine(result.stderr())
                    + ")");
        }
        try {
            return ControlData.parse(result.stdout());
        } catch (IllegalArgumentException e) {
            throw new LifeboatException("cannot read pg_controldata's report on " + dataDirectory + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * Whether a postmaster runs on this data directory ({@code pg_ctl status}). pg_ctl only asks whether the pid in
     * {@code postmaster.pid} exists: a killed postmaster that nobody has reaped yet (a zombie) still does, and after a
     * crash the pid may belong to another process by now (on a busy host, soon). Neither counts: a live postmaster
     * always works in its own data directory.
     */
    public boolean running() {
        if (command(program("pg_ctl"), "-D", dataDirectory.toString(), "status").runAllowingFailure().exitCode() != 0) {
            return false;
        }
        return !postmasterGone();
    }

    private boolean postmasterGone() {
        Path proc;
        try {
            long pid = Math.abs(Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0)
                    .strip()));
            proc = Path.of("/proc", Long.toString(pid));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        try {
            String stat = Files.readString(proc.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            if (state == 'Z' || state == 'X') {
                return true;
            }
            return !proc.resolve("cwd").toRealPath().equals(dataDirectory.toRealPath());
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        } catch (IOException | RuntimeException e) {
            // Unreadable (another user's process, no /proc): pg_ctl's answer stands.
            return false;
        }
    }

    /**
     * Starts the server and waits until it accepts connections (for a server in crash recovery, until recovery is
     * done). {@code settings} go on its command line ({@code -c name=value}) and win over its config files.
     *
     * @throws ServerStartException with the server's own reason (its log's last FATAL or PANIC line)
     */
    public void start(Map<String, String> settings, Duration limit) {
        requireReachable();
        long begin = System.nanoTime();
        long logOffset = logSize();
        List<String> argv = new ArrayList<>(List.of(program("pg_ctl"), "-D", dataDirectory.toString(), "-l",
                logFile().toString(), "-w", "-t", Long.toString(Math.max(1, limit.toSeconds()))));
        if (!settings.isEmpty()) {
            argv.add("-o");
            argv.add(commandLineSettings(settings));
        }
        argv.add("start");
        ExternalCommand.Result result;
        try {
            result = command(argv).timeout(limit.plusSeconds(30)).runAllowingFailure();
        } catch (ExternalCommandException e) {
            throw new ServerStartException(dataDirectory, e.getMessage());
        }
        if (result.exitCode() != 0) {
            stopQuietly();
            throw new ServerStartException(dataDirectory, startFailure(logOffset, result));
        }
        LOG.info("postgres {}: started in {} ms", dataDirectory, (System.nanoTime() - begin) / 1_000_000);
    }

    /** Stops the server (fast shutdown: a shutdown checkpoint, sessions ended); a stopped server is left as it is. */
    public void stop(Duration limit) {
        stop("fast", limit);
    }

    /** Stops the server without a shutdown checkpoint (the next start runs crash recovery). */
    public void stopImmediately() {
        stop("immediate", Duration.ofSeconds(60));
    }

    private void stop(String mode, Duration limit) {
        if (!running()) {
            return;
        }
        ExternalCommand.Result result = command(program("pg_ctl"), "-D", dataDirectory.toString(), "-m", mode, "-w",
                "-t", Long.toString(Math.max(1, limit.toSeconds())), "stop").timeout(limit.plusSeconds(30))
                .runAllowingFailure();
        // pg_ctl exits 1 both for "not running" and for a real failure: the server's state tells them apart.
        if (result.exitCode() != 0 && running()) {
            throw new LifeboatException("cannot stop PostgreSQL on " + dataDirectory + " (" + lastLine(result.stderr())
                    + ")");
        }
    }

    private void stopQuietly() {
        try {
            stop("immediate", Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            LOG.debug("cannot stop {} after a failed start", dataDirectory, e);
        }
    }

    /** Where the running server listens, from {@code postmaster.pid}. */
    public Endpoint endpoint() {
        try {
            return Endpoint.parse(Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new LifeboatException("PostgreSQL is not running on " + dataDirectory + " (no postmaster.pid)");
        } catch (IOException | IllegalArgumentException e) {
            throw new LifeboatException("cannot read " + dataDirectory.resolve("postmaster.pid") + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Waits until the server answers {@code pg_isready}. */
    public void awaitAccepting(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (command(withConnection(List.of(program("pg_isready")), "postgres")).runAllowingFailure().exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("PostgreSQL on " + dataDirectory + " does not accept connections after "
                        + limit.toSeconds() + " s");
            }
            pause();
        }
    }

    /** Waits until the server is out of recovery (a promotion or a recovery target reached with promote). */
    public void awaitWritable(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!"f".equals(query("postgres", "SELECT pg_is_in_recovery()").strip())) {
            if (System.nanoTime() > deadline) {
                throw new LifeboatException("PostgreSQL on " + dataDirectory + " is still in recovery after "
                        + limit.toSeconds() + " s: " + lastLogLines(2));
            }
            pause();
        }
    }

    /** Ends recovery of a standby or a restore ({@code pg_ctl promote}) and waits until it is writable. */
    public void promote(Duration limit) {
        command(program("pg_ctl"), "-D", dataDirectory.toString(), "-w", "-t",
                Long.toString(Math.max(1, limit.toSeconds())), "promote").timeout(limit.plusSeconds(30)).run();
        awaitWritable(limit);
    }

    /**
     * One query through {@code psql} on the server's socket, as its OS user: the unaligned rows, one per line, the
     * fields of a row separated by {@link #FIELD_SEPARATOR}.
     */
    public String query(String database, String sql) {
        List<String> argv = withConnection(List.of(program("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-F", FIELD_SEPARATOR), database);
        argv.addAll(List.of("-c", sql));
        return command(argv).run().stdout();
    }

    /**
     * {@code pg_amcheck --all --heapallindexed} over every database that allows connections, installing the
     * {@code amcheck} extension where it is missing (for servers Lifeboat itself brought up), and what it did not cover.
     */
    public AmcheckReport amcheck(Duration limit) {
        // template1 is left out: checking it would install amcheck there, into every database created later.
        List<String> argv = withConnection(List.of(program("pg_amcheck"), "--all", "--exclude-database=template1",
                "--heapallindexed", "--install-missing"), null);
        ExternalCommand.Result result = command(argv).timeout(limit).runAllowingFailure();
        return new AmcheckReport(result.exitCode(), Amcheck.firstLines((result.stdout() + "\n" + result.stderr())
                .strip(), 3), notChecked());
    }

    private List<String> notChecked() {
        List<String> skipped = new ArrayList<>();
        try {
            for (String database : query("postgres",
                    "SELECT datname FROM pg_database WHERE NOT datallowconn ORDER BY 1").lines().toList()) {
                skipped.add(database + " (takes no connections)");
            }
            skipped.add("template1 (a template)");
            for (String database : query("postgres",
                    "SELECT datname FROM pg_database WHERE datallowconn AND datname <> 'template1' ORDER BY 1")
                    .lines().toList()) {
                skipped.addAll(Amcheck.uncheckedIndexes(query(database, Amcheck.UNCHECKED_INDEXES), database));
            }
            if (!controlData().checksumsEnabled()) {
                skipped.add("page checksums (off in this cluster)");
            }
        } catch (LifeboatException e) {
            skipped.add("the list of what it cannot check (" + e.getMessage() + ")");
        }
        return skipped;
    }

    /** The last {@code count} lines of the server's log, joined with {@code |}. */
    public String lastLogLines(int count) {
        try {
            List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size())).strip();
        } catch (IOException e) {
            return "(no server log at " + logFile() + ")";
        }
    }

    private List<String> withConnection(List<String> program, String database) {
        Endpoint endpoint = endpoint();
        List<String> argv = new ArrayList<>(program);
        argv.addAll(List.of("-h", endpoint.socketDirectory().map(Path::toString).orElse("127.0.0.1"),
                "-p", Integer.toString(endpoint.port()), "-U", osUser));
        if (database != null) {
            argv.addAll(List.of("-d", database));
        }
        return argv;
    }

    private long logSize() {
        try {
            return Files.size(logFile());
        } catch (IOException e) {
            return 0;
        }
    }

    /** The reason in the log written since {@code offset}: the last FATAL or PANIC line, else the last line. */
    private String startFailure(long offset, ExternalCommand.Result result) {
        List<String> lines = new ArrayList<>();
        try (RandomAccessFile file = new RandomAccessFile(logFile().toFile(), "r")) {
            file.seek(Math.min(offset, file.length()));
            byte[] rest = new byte[(int) Math.min(1 << 20, file.length() - file.getFilePointer())];
            file.readFully(rest);
            new String(rest, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).forEach(lines::add);
        } catch (IOException e) {
            // No log: pg_ctl's own words are all there is.
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            int at = Math.max(line.indexOf("FATAL:"), line.indexOf("PANIC:"));
            if (at >= 0) {
                return line.substring(at).strip();
            }
        }
        if (!lines.isEmpty()) {
            return lines.get(lines.size() - 1).strip();
        }
        String stderr = lastLine(result.stderr());
        return stderr.isEmpty() ? "pg_ctl exit " + result.exitCode() : stderr;
    }

    /** pg_ctl hands {@code -o} to a shell: each setting is one single-quoted word. */
    static String commandLineSettings(Map<String, String> settings) {
        StringBuilder options = new StringBuilder();
        for (Map.Entry<String, String> setting : new LinkedHashMap<>(settings).entrySet()) {
            if (!setting.getKey().matches("[a-z_.0-9]+")) {
                throw new IllegalArgumentException("not a setting name: " + setting.getKey());
            }
            if (options.length() > 0) {
                options.append(' ');
            }
            options.append("-c '").append(setting.getKey()).append('=')
                    .append(setting.getValue().replace("'", "'\"'\"'")).append('\'');
        }
        return options.toString();
    }

    /**
     * A directory the server's OS user cannot enter (a parent directory closed to it) is not a server that fails to
     * start: it says nothing about the data, so it is not a {@link ServerStartException}.
     */
    private void requireReachable() {
        String directory = dataDirectory.toString();
        if (command("test", "-r", directory, "-a", "-w", directory, "-a", "-x", directory).runAllowingFailure()
                .exitCode() != 0) {
            throw new LifeboatException("the OS user " + osUser + " cannot enter " + dataDirectory
                    + " (a parent directory's owner or mode keeps it out)", "give " + osUser
                    + " search (x) permission on every directory above it, or use a directory it can reach", null);
        }
    }

    private ExternalCommand command(String... argv) {
        return command(List.of(argv));
    }

    private ExternalCommand command(List<String> argv) {
        // As root the programs run as the directory's owner, whose working directory must be one it may enter.
        return ExternalCommand.of(argv).asUser(osUser).in(Files.isDirectory(dataDirectory) ? dataDirectory : Path.of("/"))
                .timeout(COMMAND_LIMIT);
    }

    private String program(String name) {
        return programs.program(name).toString();
    }

    private static String lastLine(String text) {
        String trimmed = text.strip();
        return trimmed.substring(trimmed.lastIndexOf('\n') + 1).strip();
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifeboatException("interrupted while waiting for PostgreSQL");
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL " + majorVersion + " on " + dataDirectory;
    }

    /**
     * Where a running server listens, as its {@code postmaster.pid} says.
     *
     * @param socketDirectory its first Unix socket directory; empty when it has none
     * @param status {@code starting}, {@code ready}, {@code standby} or {@code stopping}
     */
    public record Endpoint(long pid, int port, Optional<Path> socketDirectory, String listenAddresses, String status) {
        static Endpoint parse(List<String> lines) {
            if (lines.size() < 4) {
                throw new IllegalArgumentException("it has " + lines.size() + " lines, not the 4 or more of a server");
            }
            String socket = lines.size() > 4 ? lines.get(4).strip() : "";
            return new Endpoint(Long.parseLong(lines.get(0).strip()), Integer.parseInt(lines.get(3).strip()),
                    socket.isEmpty() ? Optional.empty() : Optional.of(Path.of(socket)),
                    lines.size() > 5 ? lines.get(5).strip() : "", lines.size() > 7 ? lines.get(7).strip() : "");
        }
    }
}
