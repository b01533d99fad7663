package io.lifeboat.core.db;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.ConnectionConfig;
import io.lifeboat.core.config.Secret;
import io.lifeboat.core.config.SslMode;
import io.lifeboat.core.error.TransientException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Connection failures that need no PostgreSQL server; auth and missing-database failures are tested in cli. */
class PoolsTest {
    private static ConnectionConfig server(String host, int port, Duration timeout) {
        return new ConnectionConfig(host, port, "app", "lifeboat", Optional.of(Secret.of("hunter2")),
                Optional.empty(), SslMode.DISABLE, timeout);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void nothingListening_isConnectionRefused() throws IOException {
        int port = closedPort();
        assertThatThrownBy(() -> Pools.open(ServerRole.MASTER, server("127.0.0.1", port, Duration.ofSeconds(2))))
                .isInstanceOf(TransientException.class)
                .hasMessage("cannot connect to master 127.0.0.1:" + port + " (connection refused)")
                .satisfies(e -> assertThatThrownBy(() -> { throw e; }).hasMessageNotContaining("hunter2"));
    }

    @Test
    void unknownHost_isNamed() {
        assertThatThrownBy(() -> Pools.open(ServerRole.STANDBY, server("db.invalid", 5432, Duration.ofSeconds(2))))
                .hasMessage("cannot connect to standby db.invalid:5432 (unknown host db.invalid)");
    }

    @Test
    void serverThatNeverAnswers_timesOutWithinTheConfiguredBound() throws IOException {
        // Accepts TCP connections (the backlog) but never speaks the PostgreSQL protocol.
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            int port = silent.getLocalPort();
            long start = System.nanoTime();
            assertThatThrownBy(() -> Pools.open(ServerRole.MASTER, server("127.0.0.1", port, Duration.ofSeconds(1))))
                    .hasMessage("cannot connect to master 127.0.0.1:" + port + " (no answer within 1s)");
            org.assertj.core.api.Assertions.assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(10));
        }
    }
}
