package io.lifeboat.archiver.read;

import java.nio.file.Path;
import java.util.Objects;

/** Where {@link BackupRestorer} puts a backup. */
public sealed interface RestoreDestination permits RestoreDestination.Database, RestoreDestination.NewCluster {

    /**
     * An existing database, reached by a libpq connection string or URI as {@code pg_restore -d} takes it. A
     * password in it is handed to pg_restore through its environment, never its argv.
     */
    record Database(String connection) implements RestoreDestination {
        public Database {
            Objects.requireNonNull(connection, "connection");
        }
    }

    /**
     * A new cluster: initdb at {@code directory} (which must not exist or be empty; as OS user postgres when run
     * as root), started on 127.0.0.1:{@code port} with its socket in {@code directory}, the manifest's source
     * database created and restored into, and left running. On failure the directory is removed again.
     */
    record NewCluster(Path directory, int port) implements RestoreDestination {
        public NewCluster {
            Objects.requireNonNull(directory, "directory");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
            }
        }
    }
}
