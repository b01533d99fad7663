package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.ExternalCommandException;
import io.lifeboat.core.process.MissingProgramException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the PostgreSQL server programs are: {@code PG_BIN} first, then {@code pg_config --bindir}, then the newest
 * {@code <root>/<version>/bin} under the search roots (Debian's {@code /usr/lib/postgresql}). Every input is
 * injectable so the "nothing found" path can be tested on a machine that has PostgreSQL.
 */
public final class PostgresBinaries {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresBinaries.class);
    private static final String HINT = "install PostgreSQL 15 (apt-get install -y postgresql-15) or set PG_BIN";

    private final Map<String, String> environment;
    private final List<Path> searchRoots;
    private final BooleanSupplier dockerProbe;

    private PostgresBinaries(Map<String, String> environment, List<Path> searchRoots, BooleanSupplier dockerProbe) {
        this.environment = Map.copyOf(environment);
        this.searchRoots = List.copyOf(searchRoots);
        this.dockerProbe = dockerProbe;
    }

    /** This machine: the process environment, {@code /usr/lib/postgresql} and Testcontainers' Docker probe. */
    public static PostgresBinaries system() {
        return new PostgresBinaries(System.getenv(), List.of(Path.of("/usr/lib/postgresql")),
                PostgresBinaries::dockerReachable);
    }

    /**
     * A search over the given inputs only. {@code pg_config} is looked up on the {@code PATH} of {@code environment},
     * so an environment without {@code PATH} skips it.
     */
    public static PostgresBinaries searching(Map<String, String> environment, List<Path> searchRoots,
                                             BooleanSupplier dockerProbe) {
        return new PostgresBinaries(environment, searchRoots, dockerProbe);
    }

    /** The bin directory holding {@code initdb}, {@code pg_ctl} and {@code postgres}, if there is one. */
    public Optional<Path> find() {
        String pgBin = environment.get("PG_BIN");
        if (pgBin != null && !pgBin.isBlank()) {
            Path dir = Path.of(pgBin);
            if (!hasInitdb(dir)) {
                // An explicit setting that points nowhere is a mistake to report, not a reason to pick another install.
                throw new LifeboatException("PG_BIN=" + pgBin + " does not contain initdb",
                        "set PG_BIN to the bin directory of a PostgreSQL installation, e.g. /usr/lib/postgresql/15/bin",
                        null);
            }
            return Optional.of(dir);
        }
        Optional<Path> fromPgConfig = pgConfigBindir();
        if (fromPgConfig.isPresent()) {
            return fromPgConfig;
        }
        return newestUnderSearchRoots();
    }

    /** Like {@link #find()}, but a missing installation is an error that says what to install. */
    public Path locate() {
        return find().orElseThrow(this::notFound);
    }

    /** Whether a Docker engine answers, so a container can stand in for missing binaries. */
    public boolean dockerAvailable() {
        return dockerProbe.getAsBoolean();
    }

    /** One line naming the package, without a stack trace: what a test run on a machine without PostgreSQL shows. */
    LifeboatException notFound() {
        List<String> places = new ArrayList<>(List.of("PG_BIN", "pg_config --bindir"));
        searchRoots.forEach(root -> places.add(root + "/*/bin"));
        return new MissingProgramException("no PostgreSQL binaries found (looked in " + String.join(", ", places)
                + "): install package postgresql-15 or set PG_BIN", HINT);
    }

    private Optional<Path> pgConfigBindir() {
        Optional<Path> pgConfig = onPath("pg_config");
        if (pgConfig.isEmpty()) {
            return Optional.empty();
        }
        try {
            String out = ExternalCommand.of(pgConfig.get().toString(), "--bindir")
                    .timeout(Duration.ofSeconds(10)).run().stdout().strip();
            Path dir = Path.of(out);
            // Debian's pg_config comes from libpq-dev and may name a server that is not installed.
            return hasInitdb(dir) ? Optional.of(dir) : Optional.empty();
        } catch (ExternalCommandException e) {
            LOG.debug("ignoring {}: {}", pgConfig.get(), e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Path> onPath(String program) {
        String path = environment.get("PATH");
        if (path == null || path.isBlank()) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry, program))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private Optional<Path> newestUnderSearchRoots() {
        List<Path> candidates = new ArrayList<>();
        for (Path root : searchRoots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> versions = Files.list(root)) {
                candidates.addAll(versions.map(version -> version.resolve("bin"))
                        .filter(PostgresBinaries::hasInitdb)
                        .collect(Collectors.toList()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root, e);
            }
        }
        return candidates.stream().max(Comparator.comparing(bin -> bin.getParent().getFileName().toString(),
                PostgresBinaries::compareVersions));
    }

    /** Orders "9.6" before "10" before "15"; names that are not versions sort first. */
    static int compareVersions(String left, String right) {
        String[] a = left.split("\\.");
        String[] b = right.split("\\.");
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            long x = i < a.length ? number(a[i]) : 0;
            long y = i < b.length ? number(b[i]) : 0;
            if (x != y) {
                return Long.compare(x, y);
            }
        }
        return left.compareTo(right);
    }

    private static long number(String part) {
        try {
            return Long.parseLong(part);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean hasInitdb(Path bin) {
        return Files.isExecutable(bin.resolve("initdb"));
    }

    private static boolean dockerReachable() {
        if (!dockerHinted()) {
            return false;
        }
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            LOG.debug("docker probe failed: {}", e.getMessage());
            return false;
        }
    }

    /**
     * Whether anything suggests a Docker engine. Testcontainers logs an ERROR listing every strategy it tried when
     * there is none; asking it only when a socket or setting exists keeps a missing PostgreSQL to one message.
     */
    private static boolean dockerHinted() {
        String home = System.getProperty("user.home");
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        return System.getenv("DOCKER_HOST") != null
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of("/run/docker.sock"))
                || (runtime != null && Files.exists(Path.of(runtime, "docker.sock")))
                || Files.exists(Path.of(home, ".docker", "run", "docker.sock"))
                || Files.exists(Path.of(home, ".testcontainers.properties"));
    }
}
