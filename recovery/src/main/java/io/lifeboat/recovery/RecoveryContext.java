package io.lifeboat.recovery;

import com.zaxxer.hikari.HikariDataSource;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.RecoveryConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.openpgp.SecretKeyFile;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import io.lifeboat.core.server.PostgresServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every rung of one recovery shares: the config, the operator's options, the standby's pool and the private key
 * (each opened once, on first use), scratch places for verification copies, and the servers this recovery started,
 * so that an interrupted recovery stops them.
 */
public final class RecoveryContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryContext.class);

    private final LifeboatConfig config;
    private final RecoveryOptions options;
    private final Clock clock;
    private final Supplier<char[]> terminalPassphrase;
    private final AtomicInteger scratchCounter = new AtomicInteger();
    private final List<PostgresServer> scratchServers = new ArrayList<>();
    private HikariDataSource standby;
    private LifeboatException standbyFailure;
    private PGPSecretKeyRing secretKey;
    private char[] passphrase;
    private LifeboatException keyFailure;

    /** @param terminalPassphrase asks for the key's passphrase when no {@code recovery.passphrase_file} is set */
    public RecoveryContext(LifeboatConfig config, RecoveryOptions options, Clock clock,
            Supplier<char[]> terminalPassphrase) {
        this.config = config;
        this.options = options;
        this.clock = clock;
        this.terminalPassphrase = terminalPassphrase;
    }

    public LifeboatConfig config() {
        return config;
    }

    public RecoveryConfig recovery() {
        return config.recovery();
    }

    public RecoveryOptions options() {
        return options;
    }

    public Clock clock() {
        return clock;
    }

    /** The standby's pool, opened once; a standby that cannot be reached fails every call the same way. */
    public synchronized DataSource standby() {
        if (standby == null && standbyFailure == null) {
            try {
                standby = Pools.open(ServerRole.STANDBY, config.standby());
            } catch (LifeboatException e) {
                standbyFailure = e;
            }
        }
        if (standbyFailure != null) {
            throw standbyFailure;
        }
        return standby;
    }

    /** The private key that decrypts offsite dumps, unlocked; read once. */
    public synchronized PGPSecretKeyRing secretKey() {
        if (secretKey == null && keyFailure == null) {
            try {
                Path file = recovery().key().orElseThrow(() -> new LifeboatException(
                        "recovery.key is not set (the private key that decrypts offsite dumps)"));
                passphrase = readPassphrase();
                secretKey = SecretKeyFile.read(file, passphrase);
            } catch (LifeboatException e) {
                keyFailure = e;
            }
        }
        if (keyFailure != null) {
            throw keyFailure;
        }
        return secretKey;
    }

    public synchronized char[] passphrase() {
        secretKey();
        return passphrase;
    }

    private char[] readPassphrase() {
        Optional<Path> file = recovery().passphraseFile();
        if (file.isPresent()) {
            try {
                return Files.readString(file.get()).strip().toCharArray();
            } catch (IOException e) {
                throw new LifeboatException("cannot read recovery.passphrase_file " + file.get() + " ("
                        + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()) + ")", e);
            }
        }
        return terminalPassphrase.get();
    }

    /**
     * A new, not yet existing path for a verification copy: beside the recovery target when one is set (the same
     * filesystem, so copies can share extents), else in the temporary directory.
     */
    public Path scratch(String purpose) {
        Path parent = recovery().target().map(t -> t.dataDirectory().getParent())
                .orElse(Path.of(System.getProperty("java.io.tmpdir")));
        return parent.resolve(".lifeboat-" + purpose + "-" + ProcessHandle.current().pid() + "-"
                + scratchCounter.incrementAndGet());
    }

    /** A socket directory only {@code owner} can use, so a copy being checked is reachable by nobody else. */
    public Path privateSocketDirectory(String owner) {
        try {
            Path directory = Files.createTempDirectory("lifeboat-socket-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (OsUser.isRoot()) {
                ExternalCommand.of("chown", owner + ":", directory.toString()).timeout(Duration.ofSeconds(30)).run();
            }
            return directory;
        } catch (IOException e) {
            throw new LifeboatException("cannot create a socket directory (" + e.getMessage() + ")", e);
        }
    }

    /** A TCP port free on this host right now, for a copy's socket name. */
    public static int sparePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LifeboatException("no spare port (" + e.getMessage() + ")", e);
        }
    }

    /** This host's name, where databases brought up here are reached. */
    public String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Remembers a server started on a scratch copy or a staging directory, so {@link #stopScratchServers} ends it. */
    public synchronized void started(PostgresServer server) {
        scratchServers.add(server);
    }

    public synchronized void stopped(PostgresServer server) {
        scratchServers.remove(server);
    }

    /** Stops every scratch or staging server still running (an interrupted recovery leaves none behind). */
    public void stopScratchServers() {
        List<PostgresServer> running;
        synchronized (this) {
            running = new ArrayList<>(scratchServers);
            scratchServers.clear();
        }
        for (PostgresServer server : running) {
            try {
                server.stopImmediately();
            } catch (RuntimeException e) {
                LOG.warn("cannot stop {} ({})", server, e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() {
        stopScratchServers();
        if (standby != null) {
            standby.close();
        }
        if (passphrase != null) {
            java.util.Arrays.fill(passphrase, '\0');
        }
    }
}
