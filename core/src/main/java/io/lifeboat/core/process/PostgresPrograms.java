package io.lifeboat.core.process;

import io.lifeboat.core.error.LifeboatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The PostgreSQL programs of the major version a snapshot was taken with: {@code PG_BIN}, Debian's layout, pg_config. */
public record PostgresPrograms(Path binDirectory) {

    public static PostgresPrograms forMajor(int major) {
        String pgBin = System.getenv("PG_BIN");
        if (pgBin != null && !pgBin.isBlank()) {
            return checked(Path.of(pgBin));
        }
        Path debian = Path.of("/usr/lib/postgresql", Integer.toString(major), "bin");
        if (Files.isExecutable(debian.resolve("pg_ctl"))) {
            return new PostgresPrograms(debian);
        }
        Optional<Path> fromPgConfig = pgConfig();
        return checked(fromPgConfig.orElseThrow(() -> new LifeboatException("no PostgreSQL " + major
                + " programs found (looked in PG_BIN, " + debian + ", pg_config --bindir)",
                "install postgresql-" + major + " or set PG_BIN", null)));
    }

    public Path program(String name) {
        return binDirectory.resolve(name);
    }

    private static PostgresPrograms checked(Path dir) {
        if (!Files.isExecutable(dir.resolve("pg_ctl"))) {
            throw new LifeboatException(dir + " does not contain pg_ctl", "set PG_BIN to PostgreSQL's bin directory", null);
        }
        return new PostgresPrograms(dir);
    }

    private static Optional<Path> pgConfig() {
        try {
            ExternalCommand.Result result = ExternalCommand.of("pg_config", "--bindir").timeout(Duration.ofSeconds(10))
                    .runAllowingFailure();
            return result.exitCode() == 0 ? Optional.of(Path.of(result.stdout().strip())) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
