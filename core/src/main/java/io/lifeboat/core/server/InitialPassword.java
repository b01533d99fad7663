package io.lifeboat.core.server;

import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.storage.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The superuser password of a cluster Lifeboat makes with initdb (a restore, a recovery from a dump): random, and
 * handed to initdb's {@code --pwfile} in a temporary file only the cluster's OS user and root can read, removed
 * right after, so it is never in an argv or a log.
 */
public final class InitialPassword {
    private static final Logger LOG = LoggerFactory.getLogger(InitialPassword.class);
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private InitialPassword() {
    }

    /** 24 random bytes, URL-safe base64: fits a libpq passfile and a connection string without quoting. */
    public static String generate() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /**
     * Runs {@code initdb} (given the file's path) while {@code password} is in a temporary file {@code owner} can
     * read (when running as root; else it is this user's own).
     */
    public static void inFile(String password, String owner, Consumer<Path> initdb) {
        Path pwfile = null;
        try {
            pwfile = Files.createTempFile("lifeboat-initdb-", ".pw");
            PrivateFiles.writeString(pwfile, password + "\n");
            if (OsUser.isRoot()) {
                ExternalCommand.of("chown", owner + ":", pwfile.toString()).timeout(LIMIT).run();
            }
            initdb.accept(pwfile);
        } catch (IOException e) {
            throw new LifeboatException("cannot write the new cluster's initial password (" + FileError.reason(e)
                    + ")", e);
        } finally {
            if (pwfile != null) {
                try {
                    Files.deleteIfExists(pwfile);
                } catch (IOException e) {
                    // 0600 in the temporary directory: said, rather than failing a restore over it.
                    LOG.warn("cannot remove the temporary password file {} ({})", pwfile, FileError.reason(e));
                }
            }
        }
    }
}
