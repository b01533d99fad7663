package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * A real PostgreSQL server for tests and the demo. {@link #builder()} picks local binaries first, then a Docker
 * container, and otherwise fails with one message that says what to install.
 */
public interface PostgresCluster extends AutoCloseable {

    static Builder builder() {
        return new Builder();
    }

    /** Starts the server; a running server is left as it is. */
    void start();

    /** Stops the server (fast shutdown); a stopped server is left as it is. */
    void stop();

    void restart();

    /** Stops as {@code pg_ctl stop -m immediate} does: no checkpoint, crash recovery at the next start. */
    void stopImmediately();

    /** Kills the postmaster and every backend with SIGKILL, so the next {@link #start()} runs crash recovery. */
    void kill();

    /** Stops the server and deletes everything it wrote. */
    @Override
    void close();

    String host();

    int port();

    default String superuser() {
        return "postgres";
    }

    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /** A new connection as the superuser (trust authentication, no password); the caller closes it. */
    default Connection connect(String database) {
        Properties properties = new Properties();
        properties.setProperty("user", superuser());
        try {
            return DriverManager.getConnection(jdbcUrl(database), properties);
        } catch (SQLException e) {
            throw new LifeboatException("cannot connect to " + jdbcUrl(database) + " (" + e.getMessage() + ")", e);
        }
    }

    /** A new connection to the {@code postgres} database. */
    default Connection connect() {
        return connect("postgres");
    }

    default void createDatabase(String name) {
        execute("create database \"" + name.replace("\"", "\"\"") + "\"");
    }

    /** Runs one statement in the {@code postgres} database. */
    default void execute(String sql) {
        execute("postgres", sql);
    }

    default void execute(String database, String sql) {
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new LifeboatException("statement failed in database " + database + " (" + e.getMessage() + "): "
                    + sql, e);
        }
    }

    /** The first column of the first row of a query in the {@code postgres} database, or null when there is no row. */
    default String queryValue(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new LifeboatException("query failed (" + e.getMessage() + "): " + sql, e);
        }
    }

    /** The server's {@code server_version_num}, e.g. 150014. */
    default int version() {
        return Integer.parseInt(queryValue("show server_version_num"));
    }

    default int majorVersion() {
        return version() / 10000;
    }

    /** The data directory ({@code PGDATA}); local clusters only. */
    Path dataDirectory();

    /** The directory holding {@code pg_ctl}, {@code pg_dump} and friends; local clusters only. */
    Path binDirectory();

    /** The server log; local clusters only. */
    Path logFile();

    /** What the test wants of its cluster; {@link #create()} or {@link #start()} decide where it runs. */
    final class Builder {
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Path parentDirectory;
        private boolean dataChecksums = true;
        private PostgresBinaries binaries = PostgresBinaries.system();

        private Builder() {
            settings.put("listen_addresses", "127.0.0.1");
            settings.put("wal_level", "logical");
            settings.put("max_replication_slots", "10");
            settings.put("max_wal_senders", "10");
        }

        /** A {@code postgresql.conf} setting, e.g. {@code setting("fsync", "off")}; overrides the defaults. */
        public Builder setting(String name, String value) {
            settings.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
            return this;
        }

        /** Creates the cluster's directory under this one (e.g. a btrfs mount) instead of the system temp dir. */
        public Builder parentDirectory(Path directory) {
            this.parentDirectory = Objects.requireNonNull(directory);
            return this;
        }

        /** Data checksums are on by default, as Lifeboat's verify step expects; this turns them off. */
        public Builder withoutDataChecksums() {
            this.dataChecksums = false;
            return this;
        }

        public Builder binaries(PostgresBinaries source) {
            this.binaries = Objects.requireNonNull(source);
            return this;
        }

        /** An initialized cluster that is not running yet. */
        public PostgresCluster create() {
            var bin = binaries.find();
            if (bin.isPresent()) {
                return LocalPostgresCluster.create(this, bin.get());
            }
            if (binaries.dockerAvailable()) {
                return new ContainerPostgresCluster(this);
            }
            throw binaries.notFound();
        }

        /** An initialized, running cluster. */
        public PostgresCluster start() {
            PostgresCluster cluster = create();
            try {
                cluster.start();
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

        Map<String, String> settings() {
            return new LinkedHashMap<>(settings);
        }

        Path parentDirectory() {
            return parentDirectory;
        }

        boolean dataChecksums() {
            return dataChecksums;
        }
    }
}
