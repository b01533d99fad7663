package io.lifeboat.recovery.rungs;

import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.process.PostgresPrograms;
import io.lifeboat.core.server.InitialPassword;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.core.storage.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The new cluster the offsite-dump rung restores into, made so that it is not open to everyone on the host once it
 * is the recovered database: over TCP every role, the superuser too, logs in by password (scram-sha-256); over the
 * socket an OS user is the role of its own name ({@code peer}), and root, which runs Lifeboat's restore and checks,
 * is the superuser. The superuser's password is random and kept for the operator beside the data directory,
 * {@code DIR.password} (0600, libpq's passfile format), as {@code archive restore --new-cluster} does.
 */
final class PasswordedCluster {
    private static final String MAP = "lifeboat";

    private PasswordedCluster() {
    }

    /** Where the superuser's password of a cluster recovered to {@code directory} is kept. */
    static Path passwordFile(Path directory) {
        Path absolute = directory.toAbsolutePath();
        return absolute.resolveSibling(absolute.getFileName() + ".password");
    }

    /**
     * initdb at {@code staging}; the password file is written for the final {@code directory} and {@code port}.
     *
     * @return the new cluster (not started)
     */
    static PostgresServer initdb(Path staging, PostgresPrograms programs, String osUser, Path directory, int port) {
        String owner = OsUser.isRoot() ? osUser : OsUser.current();
        String password = InitialPassword.generate();
        InitialPassword.inFile(password, owner, pwfile -> PostgresServer.initdb(staging, programs, osUser,
                List.of("--auth-local=peer", "--auth-host=scram-sha-256", "--pwfile=" + pwfile)));
        PostgresServer server = PostgresServer.at(staging);
        Path kept = passwordFile(directory);
        writeAccessRules(server, owner, kept);
        try {
            PrivateFiles.writeString(kept, "*:" + port + ":*:" + owner + ":" + password + "\n");
        } catch (IOException e) {
            throw new LifeboatException("cannot write the new cluster's password file " + kept + " ("
                    + FileError.reason(e) + ")", e);
        }
        return server;
    }

    /** Removes the password file of a build that failed: it belongs to no cluster a client can reach. */
    static void forget(Path directory, RuntimeException failure) {
        try {
            Files.deleteIfExists(passwordFile(directory));
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private static void writeAccessRules(PostgresServer server, String owner, Path passwordFile) {
        Path data = server.dataDirectory();
        List<String> hba = List.of(
                "# written by lifeboat recover (offsite-dump): over the socket each OS user is the role of its name",
                "# (and root, which ran the restore, is " + owner + "); over TCP every role logs in by password.",
                "# The password of " + owner + " is in " + passwordFile + ".",
                "local   all          all                 peer map=" + MAP,
                "local   replication  all                 peer map=" + MAP,
                "host    all          all  127.0.0.1/32   scram-sha-256",
                "host    all          all  ::1/128        scram-sha-256",
                "host    replication  all  127.0.0.1/32   scram-sha-256",
                "host    replication  all  ::1/128        scram-sha-256");
        String ident = "\n# added by lifeboat recover (offsite-dump)\n"
                + MAP + "  /^(.*)$  \\1\n"
                + (OsUser.isRoot() ? MAP + "  root  " + owner + "\n" : "");
        try {
            Files.write(data.resolve("pg_hba.conf"), hba, StandardCharsets.UTF_8);
            Files.writeString(data.resolve("pg_ident.conf"), ident, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LifeboatException("cannot write the access rules of the new cluster at " + data + " ("
                    + FileError.reason(e) + ")", e);
        }
    }
}
