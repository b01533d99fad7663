package io.lifeboat.cli.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lifeboat.core.config.MonitorConfig;
import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's HTTP endpoint on the JDK's own server: {@code /metrics} (Prometheus text), {@code /health} (200
 * while the status is ok or warning, 503 when critical or unknown) and {@code /status} (the JSON of
 * {@code lifeboat status --json}). GET and HEAD only; everything else is 404 or 405.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusServer.class);
    /** The Prometheus text format's media type. */
    static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** What the endpoints serve, read at each request. */
    public interface Content {
        String metrics();

        /** The status JSON, or empty while no status could be read yet. */
        Optional<String> statusJson();

        /** true while the status is ok or warning. */
        boolean healthy();

        /** One line for /health. */
        String healthLine();
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private StatusServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds and serves; a non-loopback address was already refused by the config unless allowed there. */
    public static StatusServer start(MonitorConfig.Http http, Content content) {
        HttpServer server;
        try {
            server = HttpServer.create(http.address(), 16);
        } catch (IOException e) {
            throw new LifeboatException("cannot serve HTTP on " + http.text() + " (" + e.getMessage() + ")",
                    "another process may use the port: change service.http", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "lifeboat-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
                "not found: try /metrics, /health or /status\n"));
        server.createContext("/metrics", exchange -> serve(exchange, () -> new Reply(200, METRICS_TYPE,
                content.metrics())));
        server.createContext("/health", exchange -> serve(exchange, () -> new Reply(content.healthy() ? 200 : 503,
                "text/plain; charset=utf-8", content.healthLine() + "\n")));
        server.createContext("/status", exchange -> serve(exchange, () -> content.statusJson()
                .map(json -> new Reply(200, "application/json", json))
                .orElse(new Reply(503, "application/json", "{\"status\": \"unknown\"}\n"))));
        server.start();
        log.info("serving /metrics, /health and /status on http://{}", http.text());
        return new StatusServer(server, executor);
    }

    /** The address actually bound (port 0 in the config takes a free one). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private record Reply(int code, String type, String body) {
    }

    private static void serve(HttpExchange exchange, Supplier<Reply> reply) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return;
        }
        Reply r;
        try {
            r = reply.get();
        } catch (RuntimeException e) {
            log.warn("cannot answer {}: {}", exchange.getRequestURI(), e.getMessage());
            r = new Reply(500, "text/plain; charset=utf-8", "error: " + e.getMessage() + "\n");
        }
        respond(exchange, r.code(), r.type(), r.body());
    }

    private static void respond(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
