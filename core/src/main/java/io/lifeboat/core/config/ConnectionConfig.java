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
        if (host.isPresent() && host.get().startsWith("/")) {
            // libpq reads this as a Unix socket directory; the JDBC driver has no Unix sockets and would fail later
            // with a message about URLs.
            section.error("host", "'" + host.get() + "' is a Unix socket directory; Lifeboat connects over TCP:"
                    + " give a host name or address (e.g. 127.0.0.1 and listen_addresses to match)");
            host = Optional.empty();
        }
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
        Optional<Secret> password = SecretValue.read(section, "password", passwordFile);

        if (host.isEmpty() || database.isEmpty() || user.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ConnectionConfig(host.get(), port, database.get(), user.get(), password, passwordFile,
                sslmode, connectTimeout));
    }
}
