package io.lifeboat.archiver.read;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.BackupManifest;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.server.InitialPassword;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.progress.Progress;
import io.lifeboat.core.storage.ObjectInfo;
import io.lifeboat.core.storage.PrivateFiles;
import io.lifeboat.core.storage.StorageTarget;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a backup with {@code pg_restore} in one transaction: chunks → the manifest's stages undone → the
 * stdin of {@code pg_restore --single-transaction --exit-on-error --no-owner}. Anything wrong on the way (a
 * missing or corrupt chunk, a failed decryption, a dump that differs from the manifest, a pg_restore error)
 * ends the transaction without commit, so the destination gets all of the backup or nothing of it.
 */
public final class BackupRestorer {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRestorer.class);
    private static final String CLUSTER_OS_USER = "postgres";
    private static final String CLUSTER_SUPERUSER = "postgres";
    private static final Duration CLUSTER_COMMAND_LIMIT = Duration.ofMinutes(5);
    private static final Duration PG_RESTORE_EXIT_LIMIT = Duration.ofHours(12);
    private static final String NOTHING_RESTORED = "nothing was restored: pg_restore runs in one transaction and stops"
            + " at the first error; the destination must be an empty database, with the roles the dump grants to"
            + " (or --no-privileges)";

    private final BackupStore store;
    private final List<String> pgRestoreOptions;
    private final Progress.Start progress;

    public BackupRestorer(BackupStore store) {
        this(store, List.of());
    }

    public BackupRestorer(BackupStore store, List<String> pgRestoreOptions) {
        this(store, pgRestoreOptions, Progress::start);
    }

    /**
     * @param pgRestoreOptions extra pg_restore options, e.g. {@code --no-privileges} when the destination lacks the
     *        roles the dump grants to (roles are not part of a pg_dump)
     * @param progress how a restore shows its progress (stored bytes read of the backup's stored size)
     */
    public BackupRestorer(BackupStore store, List<String> pgRestoreOptions, Progress.Start progress) {
        this.store = store;
        this.pgRestoreOptions = List.copyOf(pgRestoreOptions);
        this.progress = progress;
    }

    /** Shows its progress as the constructor's progress says (by default a bar on a terminal, else a log line). */
    public RestoreResult restore(StoredBackup backup, RestoreDestination to, PGPSecretKeyRing key, char[] passphrase,
            Path workDirectory) {
        long begin = System.nanoTime();
        StorageTarget target = store.target();
        BackupManifest manifest = backup.manifest().orElseThrow(() -> new LifeboatException("backup " + backup.id()
                + " on " + target.name() + " is incomplete (no manifest) and cannot be restored"));
        DumpReader.requireRecipient(backup.id(), manifest, key);
        requireChunks(target, manifest);
        PostgresPrograms programs = DumpReader.programs(manifest);
        long plaintext;
        String destination;
        Optional<String> roles = Optional.empty();
        if (to instanceof RestoreDestination.Database database) {
            ConnectionString connection = ConnectionString.parse(database.connection());
            Map<String, String> environment = new HashMap<>();
            connection.password().ifPresent(password -> environment.put("PGPASSWORD", password));
            destination = "database " + connection.withoutPassword();
            plaintext = stream(backup.id(), manifest, programs, List.of("-d", connection.withoutPassword()),
                    environment, key, passphrase, workDirectory);
        } else {
            RestoreDestination.NewCluster cluster = (RestoreDestination.NewCluster) to;
            destination = "new cluster at " + cluster.directory() + " on 127.0.0.1:" + cluster.port() + ", database "
                    + manifest.source().database();
            NewClusterRestore restored = restoreIntoNewCluster(backup, manifest, programs, cluster, key, passphrase,
                    workDirectory);
            plaintext = restored.plaintext();
            roles = Optional.of(restored.roles().summary());
            destination += " (superuser " + CLUSTER_SUPERUSER + ", its password in " + passwordFile(cluster)
                    + ", readable only by you: PGPASSFILE=" + passwordFile(cluster) + " psql -h 127.0.0.1 -p "
                    + cluster.port() + " -U " + CLUSTER_SUPERUSER + ")";
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - begin);
        LOG.info("backup {} on {} restored into {}: {} in {} ms", backup.id(), target.name(), destination,
                DataSize.ofBytes(plaintext).approximate(), elapsed.toMillis());
        return new RestoreResult(plaintext, elapsed, destination, roles);
    }

    /** Before anything is written: every chunk exists with the manifest's size. */
    private static void requireChunks(StorageTarget target, BackupManifest manifest) {
        for (ChunkEntry chunk : manifest.storedObjects()) {
            Optional<ObjectInfo> stored = target.stat(chunk.key());
            if (stored.isEmpty()) {
                throw new LifeboatException("chunk " + chunk.key() + " on " + target.name() + " is missing",
                        "the backup is incomplete on " + target.name() + "; restore from another target or backup",
                        null);
            }
            if (stored.get().size() != chunk.size()) {
                throw new LifeboatException("chunk " + chunk.key() + " on " + target.name() + " is corrupt (size "
                        + stored.get().size() + ", expected " + chunk.size() + ")",
                        "restore from another target or an older backup", null);
            }
        }
    }

    /** The dump bytes restored, and what was done about the backup's roles (created before pg_restore runs). */
    private record NewClusterRestore(long plaintext, RoleCreator.RolesCreated roles) {
    }

    private NewClusterRestore restoreIntoNewCluster(StoredBackup backup, BackupManifest manifest,
            PostgresPrograms programs, RestoreDestination.NewCluster cluster, PGPSecretKeyRing key, char[] passphrase,
            Path workDirectory) {
        BackupId id = backup.id();
        Path directory = cluster.directory().toAbsolutePath();
        requireEmpty(directory);
        boolean started = false;
        String password = InitialPassword.generate();
        Map<String, String> login = Map.of("PGPASSWORD", password);
        try {
            initdb(programs, directory, cluster.port(), password);
            writePasswordFile(passwordFile(cluster), cluster.port(), password);
            clusterCommand(programs, Map.of(), "pg_ctl", "-D", directory.toString(), "-l",
                    directory.resolve("lifeboat-restore.log").toString(), "-w", "-t", "120", "start");
            started = true;
            clusterCommand(programs, login, "createdb", "-h", directory.toString(), "-p",
                    Integer.toString(cluster.port()), "-U", CLUSTER_SUPERUSER, "--", manifest.source().database());
            RoleCreator.RolesCreated roles = new RoleCreator(store).create(backup, "host=" + conninfoValue(directory.toString()) + " port="
                    + cluster.port() + " user=" + CLUSTER_SUPERUSER + " dbname=postgres", login, key, passphrase,
                    workDirectory);
            return new NewClusterRestore(stream(id, manifest, programs, List.of("-h", directory.toString(), "-p",
                    Integer.toString(cluster.port()), "-U", CLUSTER_SUPERUSER, "-d", manifest.source().database()),
                    login, key, passphrase, workDirectory), roles);
        } catch (RuntimeException e) {
            removeCluster(programs, directory, started, e);
            try {
                Files.deleteIfExists(passwordFile(cluster));
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** A value in a libpq keyword/value connection string, quoted so that spaces and quotes stay in it. */
    private static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static void requireEmpty(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        if (!Files.isDirectory(directory)) {
            throw new LifeboatException("restore destination " + directory + " exists and is not a directory");
        }
        try (Stream<Path> entries = Files.list(directory)) {
            if (entries.findAny().isPresent()) {
                throw new LifeboatException("restore destination " + directory + " is not empty",
                        "give a new directory for the new cluster", null);
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot read restore destination " + directory + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Where the new cluster's superuser password is kept for the operator: beside its directory (not inside, where
     * it would be the server's OS user's), {@code DIR.password}, 0600, in libpq's passfile format.
     */
    public static Path passwordFile(RestoreDestination.NewCluster cluster) {
        Path directory = cluster.directory().toAbsolutePath();
        return directory.resolveSibling(directory.getFileName() + ".password");
    }

    private static void writePasswordFile(Path file, int port, String password) {
        try {
            PrivateFiles.writeString(file, "*:" + port + ":*:" + CLUSTER_SUPERUSER + ":" + password + "\n");
        } catch (IOException e) {
            throw new LifeboatException("cannot write the new cluster's password file " + file + " ("
                    + FileError.reason(e) + ")", e);
        }
    }

    /**
     * A cluster that asks every connection, local ones too, for the superuser's password (scram-sha-256): with
     * trust, any local user could log in as the superuser of the restored data. initdb reads the password from a
     * temporary file the server's OS user can read, removed right after.
     */
    private static void initdb(PostgresPrograms programs, Path directory, int port, String password) {
        try {
            Files.createDirectories(directory);
            if (OsUser.isRoot()) {
                ExternalCommand.of("chown", CLUSTER_OS_USER + ":" + CLUSTER_OS_USER, directory.toString())
                        .timeout(CLUSTER_COMMAND_LIMIT).run();
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot create restore destination " + directory + " (" + FileError.reason(e)
                    + ")", e);
        }
        InitialPassword.inFile(password, CLUSTER_OS_USER, pwfile -> clusterCommand(programs, Map.of(), "initdb", "-D",
                directory.toString(), "-U", CLUSTER_SUPERUSER, "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "--locale=C.UTF-8", "-E", "UTF8"));
        String settings = "\n# added by lifeboat archive restore\n"
                + "listen_addresses = '127.0.0.1'\n"
                + "port = " + port + "\n"
                + "unix_socket_directories = '" + directory.toString().replace("'", "''") + "'\n";
        try {
            Files.writeString(directory.resolve("postgresql.auto.conf"), settings, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LifeboatException("cannot configure the new cluster at " + directory + " (" + e.getMessage()
                    + ")", e);
        }
    }

    /** One program of the new cluster, as the OS user postgres when running as root (initdb refuses root). */
    private static void clusterCommand(PostgresPrograms programs, Map<String, String> environment, String program,
            String... arguments) {
        List<String> argv = new ArrayList<>(List.of(programs.program(program).toString()));
        argv.addAll(List.of(arguments));
        ExternalCommand command = ExternalCommand.of(argv).timeout(CLUSTER_COMMAND_LIMIT);
        environment.forEach(command::env);
        if (OsUser.isRoot()) {
            // Its working directory must be one it may enter, not root's home.
            command.asUser(CLUSTER_OS_USER).in(Path.of("/"));
        }
        command.run();
    }

    /** The cluster was new: stop it and remove its directory, so a failed restore leaves nothing behind. */
    private static void removeCluster(PostgresPrograms programs, Path directory, boolean started,
            RuntimeException failure) {
        try {
            if (started) {
                clusterCommand(programs, Map.of(), "pg_ctl", "-D", directory.toString(), "-m", "immediate", "-w", "-t",
                        "60", "stop");
            }
            ExternalCommand.of("rm", "-rf", "--", directory.toString()).timeout(CLUSTER_COMMAND_LIMIT).run();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private long stream(BackupId id, BackupManifest manifest, PostgresPrograms programs, List<String> connection,
            Map<String, String> environment, PGPSecretKeyRing key, char[] passphrase, Path workDirectory) {
        StorageTarget target = store.target();
        List<String> argv = new ArrayList<>(List.of(programs.program("pg_restore").toString(),
                "--single-transaction", "--exit-on-error", "--no-owner", "--no-password"));
        argv.addAll(pgRestoreOptions);
        argv.addAll(connection);
        Map<String, String> env = new HashMap<>(environment);
        env.put("PGAPPNAME", "lifeboat-restore");
        try (Progress shown = progress.start("restore " + id, Progress.Unit.BYTES, manifest.storedSize());
                PgRestoreProcess restore = PgRestoreProcess.start(argv, env)) {
            long plaintext;
            try (OutputStream stdin = restore.stdin()) {
                plaintext = DumpReader.copy(target, id, manifest, key, passphrase, workDirectory, stdin, false,
                        shown::stepTo);
            } catch (DumpReader.SinkClosedException e) {
                shown.close();
                int exit = restore.awaitExit(Duration.ofMinutes(1));
                throw new LifeboatException("pg_restore failed (exit " + exit + ")" + restore.lastLine(),
                        NOTHING_RESTORED, e);
            } catch (IOException | RuntimeException e) {
                // Killed before its input ended, pg_restore never commits: its transaction rolls back.
                restore.kill();
                shown.close();
                if (e instanceof LifeboatException l) {
                    throw l;
                }
                throw new LifeboatException("cannot read backup " + id + " on " + target.name() + " ("
                        + e.getMessage() + ")", e);
            }
            shown.close();
            int exit = restore.awaitExit(PG_RESTORE_EXIT_LIMIT);
            if (exit != 0) {
                throw new LifeboatException("pg_restore failed (exit " + exit + ")" + restore.lastLine(),
                        NOTHING_RESTORED, null);
            }
            return plaintext;
        }
    }
}
