package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP proxy on 127.0.0.1 in front of a real server (the test kit's S3 server), that injects the faults a real
 * network and a real S3 give: error answers (5xx, 503 SlowDown), slow answers, connections cut in the middle of a
 * request body (an upload part) or of a response body (a download), and a bandwidth limit. Clients talk to
 * {@link #endpoint()} as they would to the server.
 *
 * <p>Each request gets a connection of its own ({@code Connection: close} is put in its head; the header is not
 * signed by S3 clients), so a fault hits exactly one request. Rules are tried in the order they were added; the
 * first that matches the request line and still has uses left applies. Every request and what was done to it is
 * recorded in {@link #log()}.
 */
public final class FaultyProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FaultyProxy.class);
    private static final int MAX_HEAD_BYTES = 64 << 10;

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final ExecutorService connections;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private volatile long bytesPerSecond;
    private volatile boolean closed;

    private FaultyProxy(ServerSocket server, InetSocketAddress upstream) {
        this.server = server;
        this.upstream = upstream;
        AtomicInteger threads = new AtomicInteger();
        this.connections = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "faulty-proxy-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Thread acceptor = new Thread(this::accept, "faulty-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy in front of {@code target} (an {@code http://host:port} endpoint). */
    public static FaultyProxy start(URI target) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            return new FaultyProxy(server, new InetSocketAddress(target.getHost(), target.getPort()));
        } catch (IOException e) {
            throw new LifeboatException("cannot start the faulty proxy (" + e.getMessage() + ")", e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Starts a rule for requests whose method is {@code method} and whose target (path and query) matches. */
    public RuleBuilder on(String method, String targetRegex) {
        return new RuleBuilder(method, Pattern.compile(targetRegex));
    }

    /** Limits every connection's transfer in both directions to about this many bytes a second; 0 lifts it. */
    public void throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Drops every rule (a run of faults is over) and the limit. */
    public void heal() {
        rules.clear();
        bytesPerSecond = 0;
    }

    /** One line per request, oldest first: {@code PUT /bucket/key?partNumber=2&uploadId=… → cut request after 1048576}. */
    public List<String> log() {
        return List.copyOf(log);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the faulty proxy", e);
        }
        connections.shutdownNow();
    }

    /** What to do with the requests a rule matches, and how many times (then the rule is used up). */
    public final class RuleBuilder {
        private final String method;
        private final Pattern target;
        private int times = Integer.MAX_VALUE;

        private RuleBuilder(String method, Pattern target) {
            this.method = method.toUpperCase(Locale.ROOT);
            this.target = target;
        }

        public RuleBuilder times(int count) {
            this.times = count;
            return this;
        }

        /** Answers in place of the server with an S3 error document, e.g. {@code 500 InternalError}, {@code 503 SlowDown}. */
        public void respond(int status, String code) {
            add(new Fault.Respond(status, code));
        }

        /** Forwards the request and closes both connections once {@code bytes} of its body have gone through. */
        public void cutRequestAfter(long bytes) {
            add(new Fault.CutRequest(bytes));
        }

        /** Forwards the request and closes both connections once {@code bytes} of the response have come back. */
        public void cutResponseAfter(long bytes) {
            add(new Fault.CutResponse(bytes));
        }

        /** Forwards the request and holds the server's answer back for {@code delay}. */
        public void delayResponse(Duration delay) {
            add(new Fault.Delay(delay));
        }

        private void add(Fault fault) {
            rules.add(new Rule(method, target, fault, new AtomicInteger(times)));
        }
    }

    private record Rule(String method, Pattern target, Fault fault, AtomicInteger left) {
        boolean takes(String requestMethod, String requestTarget) {
            return method.equals(requestMethod) && target.matcher(requestTarget).matches() && left.getAndDecrement() > 0;
        }
    }

    private sealed interface Fault {
        record Respond(int status, String code) implements Fault {
        }

        record CutRequest(long bytes) implements Fault {
        }

        record CutResponse(long bytes) implements Fault {
        }

        record Delay(Duration delay) implements Fault {
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                connections.execute(() -> serve(client));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("faulty proxy stopped accepting: {}", e.getMessage());
                }
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream fromClient = client.getInputStream();
            byte[] head = readHead(fromClient);
            if (head == null) {
                return;
            }
            Request request = Request.parse(head);
            Fault fault = null;
            for (Rule rule : rules) {
                if (rule.takes(request.method, request.target)) {
                    fault = rule.fault;
                    break;
                }
            }
            log.add(request.method + " " + request.target + " → " + describe(fault));
            if (fault instanceof Fault.Respond respond) {
                answer(client, fromClient, request, respond);
                return;
            }
            try (Socket server = new Socket()) {
                server.connect(upstream, 10_000);
                long cutRequest = fault instanceof Fault.CutRequest cut ? cut.bytes : Long.MAX_VALUE;
                long cutResponse = fault instanceof Fault.CutResponse cut ? cut.bytes : Long.MAX_VALUE;
                Duration delay = fault instanceof Fault.Delay d ? d.delay : Duration.ZERO;
                server.getOutputStream().write(request.withConnectionClose());
                Thread upload = new Thread(() -> pump(fromClient, server, Duration.ZERO, cutRequest, client, server),
                        "faulty-proxy-up");
                upload.setDaemon(true);
                upload.start();
                pump(server.getInputStream(), client, delay, cutResponse, client, server);
                upload.join(10_000);
            }
        } catch (IOException | InterruptedException e) {
            LOG.debug("faulty proxy connection ended: {}", e.getMessage());
        }
    }

    /** Copies until end of stream or {@code cutAfter} bytes; a cut closes both sockets mid-transfer. */
    private void pump(InputStream in, Socket to, Duration delay, long cutAfter, Socket client, Socket server) {
        byte[] buffer = new byte[16 << 10];
        long copied = 0;
        boolean delayed = delay.isZero();
        try {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, Math.max(1, cutAfter - copied)))) >= 0) {
                if (!delayed) {
                    Thread.sleep(delay.toMillis());
                    delayed = true;
                }
                out.write(buffer, 0, n);
                copied += n;
                limit(n);
                if (copied >= cutAfter) {
                    out.flush();
                    closeAbruptly(client);
                    closeAbruptly(server);
                    return;
                }
            }
            to.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            closeAbruptly(client);
            closeAbruptly(server);
        }
    }

    private void limit(int bytes) throws InterruptedException {
        long rate = bytesPerSecond;
        if (rate > 0) {
            Thread.sleep(Math.max(1, bytes * 1000L / rate));
        }
    }

    private static void closeAbruptly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // Closed already.
        }
    }

    /**
     * Answers in the server's place. The body the client sends is read first (unless it waits for
     * {@code 100 Continue}), so the client sees the answer rather than a reset connection.
     */
    private static void answer(Socket client, InputStream fromClient, Request request, Fault.Respond respond)
            throws IOException {
        if (!request.expectsContinue()) {
            request.skipBody(fromClient);
        }
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + respond.code
                + "</Code><Message>injected by the test kit's faulty proxy</Message><RequestId>faulty-proxy</RequestId>"
                + "</Error>").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + respond.status + " " + respond.code + "\r\n"
                + "Content-Type: application/xml\r\n"
                + "Content-Length: " + (request.method.equals("HEAD") ? 0 : body.length) + "\r\n"
                + "Connection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        if (!request.method.equals("HEAD")) {
            out.write(body);
        }
        out.flush();
        client.shutdownOutput();
    }

    private static String describe(Fault fault) {
        if (fault == null) {
            return "forwarded";
        }
        if (fault instanceof Fault.Respond respond) {
            return "answered " + respond.status + " " + respond.code;
        }
        if (fault instanceof Fault.CutRequest cut) {
            return "cut request after " + cut.bytes;
        }
        if (fault instanceof Fault.CutResponse cut) {
            return "cut response after " + cut.bytes;
        }
        return "delayed " + ((Fault.Delay) fault).delay.toMillis() + " ms";
    }

    /** The request head up to and including the blank line, or null when the client closed first. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            last4 = (last4 << 8) | b;
            if (last4 == 0x0d0a0d0a) {
                return head.toByteArray();
            }
            if (head.size() > MAX_HEAD_BYTES) {
                throw new IOException("request head over " + MAX_HEAD_BYTES + " bytes");
            }
        }
        return null;
    }

    /** The parts of a request head the proxy looks at. */
    private record Request(String method, String target, List<String> headerLines) {
        static Request parse(byte[] head) {
            String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
            String[] requestLine = lines[0].split(" ");
            List<String> headers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                if (!lines[i].isEmpty()) {
                    headers.add(lines[i]);
                }
            }
            return new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers);
        }

        String header(String name) {
            for (String line : headerLines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }

        boolean expectsContinue() {
            return "100-continue".equalsIgnoreCase(header("Expect"));
        }

        byte[] withConnectionClose() {
            StringBuilder text = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String line : headerLines) {
                String name = line.substring(0, Math.max(0, line.indexOf(':'))).strip();
                if (!name.equalsIgnoreCase("Connection") && !name.equalsIgnoreCase("Keep-Alive")) {
                    text.append(line).append("\r\n");
                }
            }
            return text.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        }

        void skipBody(InputStream in) throws IOException {
            String length = header("Content-Length");
            if ("chunked".equalsIgnoreCase(header("Transfer-Encoding"))) {
                skipChunked(in);
            } else if (length != null) {
                in.skipNBytes(Long.parseLong(length));
            }
        }

        private static void skipChunked(InputStream in) throws IOException {
            while (true) {
                String sizeLine = line(in);
                int extension = sizeLine.indexOf(';');
                long size = Long.parseLong((extension < 0 ? sizeLine : sizeLine.substring(0, extension)).strip(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    return;
                }
                in.skipNBytes(size);
                line(in);
            }
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    out.write(b);
                }
            }
            if (b < 0) {
                throw new SocketException("connection closed inside a chunked body");
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
