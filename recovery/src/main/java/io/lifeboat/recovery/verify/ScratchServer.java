package io.lifeboat.recovery.verify;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.server.PostgresServer;
import io.lifeboat.recovery.Position;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.sql.PsqlConsole;
import io.lifeboat.recovery.sql.SqlConsole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server Lifeboat runs on a copy it owns (a verification clone, a staging directory) reachable only through a
 * private socket: no network address, its own port number, no WAL archiving into the source's archive and no
 * waiting for synchronous standbys that belong to the source. Closing it stops the server.
 */
public final class ScratchServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScratchServer.class);
    public static final Duration START_LIMIT = Duration.ofMinutes(10);

    private final RecoveryContext context;
    private final PostgresServer server;
    private final Path socketDirectory;

    private ScratchServer(RecoveryContext context, PostgresServer server, Path socketDirectory) {
        this.context = context;
        this.server = server;
        this.socketDirectory = socketDirectory;
    }

    /**
     * Starts {@code server} privately on {@code port} and waits until it is writable (a copy in recovery has reached
     * its target and promoted).
     *
     * @param extra further settings for its command line
     */
    public static ScratchServer start(RecoveryContext context, PostgresServer server, int port,
            Map<String, String> extra) {
        Path socket = context.privateSocketDirectory(server.osUser());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("port", Integer.toString(port));
        settings.put("listen_addresses", "");
        settings.put("unix_socket_directories", socket.toString());
        settings.put("archive_mode", "off");
        // A copy must not reach back into its source's files, whatever its configuration says.
        settings.put("data_directory", server.dataDirectory().toString());
        settings.put("hba_file", server.dataDirectory().resolve("pg_hba.conf").toString());
        settings.put("ident_file", server.dataDirectory().resolve("pg_ident.conf").toString());
        settings.put("external_pid_file", "");
        settings.put("synchronous_standby_names", "");
        settings.putAll(extra);
        context.started(server);
        ScratchServer scratch = new ScratchServer(context, server, socket);
        try {
            server.start(settings, START_LIMIT);
            server.awaitWritable(START_LIMIT);
            return scratch;
        } catch (RuntimeException e) {
            scratch.close();
            throw e;
        }
    }

    public PostgresServer server() {
        return server;
    }

    public SqlConsole console(String database) {
        return new PsqlConsole(server, database);
    }

    /**
     * The master position this copy holds: where its recovery ended (or its WAL, when it never replayed), and the
     * master's clock at its last replicated heartbeat in {@code database}.
     */
    public Position position(String database) {
        SqlConsole console = console(database);
        Optional<Lsn> lsn = console.value("SELECT coalesce(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text")
                .map(Lsn::parse);
        return new Position(lsn, heartbeat(console));
    }

    /** The master's time of the last heartbeat in this database ({@code lifeboat.heartbeat}), if it has one. */
    public static Optional<Instant> heartbeat(SqlConsole console) {
        if (!console.hasTable("lifeboat.heartbeat")) {
            return Optional.empty();
        }
        return console.value("SELECT (extract(epoch FROM beat_at) * 1000)::bigint FROM lifeboat.heartbeat"
                + " ORDER BY beat_at DESC LIMIT 1").map(ms -> Instant.ofEpochMilli(Long.parseLong(ms)));
    }

    @Override
    public void close() {
        try {
            server.stop(Duration.ofMinutes(2));
        } catch (LifeboatException e) {
            LOG.warn("{}; stopping it immediately", e.getMessage());
            server.stopImmediately();
        } finally {
            context.stopped(server);
            try (var entries = Files.list(socketDirectory)) {
                for (Path entry : entries.toList()) {
                    Files.deleteIfExists(entry);
                }
                Files.deleteIfExists(socketDirectory);
            } catch (IOException e) {
                LOG.debug("cannot remove {}", socketDirectory, e);
            }
        }
    }
}
