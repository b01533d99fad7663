package io.lifeboat.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How to reach one PostgreSQL server: the {@code master} and {@code standby} blocks.
 *
 * @param passwordFile where the password came from, when it came from a file (shown instead of the password)
 */
public record ConnectionConfig(
        String host,
        int port,
        String database,
        String user,
        Optional<Secret> password,
        Optional<Path> passwordFile,
        SslMode sslmode,
        Duration connectTimeout) {

    public static final int DEFAULT_PORT = 5432;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** {@code host:port}, as it appears in every message about this server. */
    public String address() {
        return host + ":" + port;
    }

    /** Reads one connection block; returns empty when a required key is missing (the problem is recorded). */
    static Optional<ConnectionConfig> read(ConfigSection section) {
        Optional<String> host = section.requiredString("host");
        int port = section.integer("port", 1, 65535).orElse(DEFAULT_PORT);
        Optional<String> database = section.requiredString("database");
        Optional<String> user = section.requiredString("user");
        SslMode sslmode = section.parsed("sslmode", text -> SslMode.fromConfig(text).orElseThrow(
                () -> new IllegalArgumentException("'" + text + "' is not one of " + SslMode.choices())))
                .orElse(SslMode.PREFER);
        Duration connectTimeout = section.parsed("connect_timeout", HumanDuration::parse)
                .orElse(DEFAULT_CONNECT_TIMEOUT);
        if (connectTimeout.toSeconds() < 1) {
            section.error("connect_timeout", "must be at least 1s");
        }
        Optional<Path> passwordFile = section.string("password_file").map(section.reader()::resolve);
        Optional<Secret> password = readPassword(section, passwordFile);

        if (host.isEmpty() || database.isEmpty() || user.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ConnectionConfig(host.get(), port, database.get(), user.get(), password, passwordFile,
                sslmode, connectTimeout));
    }

    private static Optional<Secret> readPassword(ConfigSection section, Optional<Path> passwordFile) {
        if (section.has("password") && passwordFile.isPresent()) {
            section.string("password");
            section.error("password_file", "set either password or password_file, not both");
            return Optional.empty();
        }
        if (passwordFile.isPresent()) {
            return readPasswordFile(section, passwordFile.get());
        }
        Optional<String> raw = section.raw("password");
        Optional<Secret> password = section.string("password").map(Secret::of);
        if (raw.isPresent() && !EnvInterpolation.refersToEnvironment(raw.get())) {
            section.warning("password", "written in the config file itself; prefer password_file or ${ENV_VAR}");
        }
        return password;
    }

    private static Optional<Secret> readPasswordFile(ConfigSection section, Path file) {
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (content.isEmpty()) {
                section.error("password_file", file + " is empty");
                return Optional.empty();
            }
            if (readableByOthers(file)) {
                section.warning("password_file", file + " can be read by other users (chmod 600 it)");
            }
            return Optional.of(Secret.of(content));
        } catch (NoSuchFileException e) {
            section.error("password_file", "cannot read " + file + " (no such file)");
        } catch (IOException e) {
            section.error("password_file", "cannot read " + file + " (" + e.getMessage() + ")");
        }
        return Optional.empty();
    }

    private static boolean readableByOthers(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            return permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
