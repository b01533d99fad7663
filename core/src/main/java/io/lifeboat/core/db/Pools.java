package io.lifeboat.core.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.LifeboatConfig;
import java.util.EnumMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The connection pools to master and standby, opened on first use so that a command needing only one server
 * does not fail because the other is down. Opening checks one connection at once, so a wrong address or
 * password is reported here as one clear line, not later as a pool timeout.
 */
public final class Pools implements AutoCloseable {
    private static final int MAXIMUM_POOL_SIZE = 4;

    private final LifeboatConfig config;
    private final Map<ServerRole, HikariDataSource> open = new EnumMap<>(ServerRole.class);

    public Pools(LifeboatConfig config) {
        this.config = config;
    }

    public synchronized DataSource master() {
        return open.computeIfAbsent(ServerRole.MASTER, role -> open(role, config.master()));
    }

    public synchronized DataSource standby() {
        return open.computeIfAbsent(ServerRole.STANDBY, role -> open(role, config.standby()));
    }

    /** @throws io.lifeboat.core.error.LifeboatException naming the server and the cause when it cannot connect */
    public static HikariDataSource open(ServerRole role, ConnectionConfig server) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("lifeboat-" + role);
        hikari.setJdbcUrl("jdbc:postgresql://" + server.host() + ":" + server.port() + "/" + server.database());
        hikari.setUsername(server.user());
        server.password().ifPresent(secret -> hikari.setPassword(secret.reveal()));
        hikari.addDataSourceProperty("sslmode", server.sslmode().configValue());
        // Driver properties must be strings: pgjdbc reads them with Properties.getProperty, which skips others.
        // connectTimeout bounds only the TCP connect; loginTimeout bounds a server that accepts but never answers.
        String seconds = Long.toString(Math.max(1, server.connectTimeout().toSeconds()));
        hikari.addDataSourceProperty("connectTimeout", seconds);
        hikari.addDataSourceProperty("loginTimeout", seconds);
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        hikari.addDataSourceProperty("ApplicationName", "lifeboat");
        hikari.setConnectionTimeout(server.connectTimeout().toMillis() + 1000);
        hikari.setMaximumPoolSize(MAXIMUM_POOL_SIZE);
        hikari.setMinimumIdle(0);
        hikari.setInitializationFailTimeout(1);
        try {
            return new HikariDataSource(hikari);
        } catch (HikariPool.PoolInitializationException e) {
            throw ConnectionFailure.describe(role, server, e.getCause() == null ? e : e.getCause());
        }
    }

    @Override
    public synchronized void close() {
        open.values().forEach(HikariDataSource::close);
        open.clear();
    }
}
