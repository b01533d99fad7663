package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 store going away under {@code lifeboat run}, end to end through both alert channels: a real master and
 * standby, the embedded S3 server really stopped (its port closed) and started again on the same port with the same
 * objects, {@code lifeboat run} as a process of its own, {@code service.notify.command} a shell script appending each
 * event to a file, and {@code service.notify.webhook} a real HTTP receiver. The archive fails and is tried again while
 * replication goes on; one alert goes out on each channel however often it fails; one "resolved" once it succeeds.
 */
class ServiceAlertIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String KEY = "job_failed:archive";
    /** Job retries 2 s apart, many of them: a test cannot wait the minutes of the default backoff. */
    private static final List<String> QUICK_RETRY = List.of("-D" + RunCommand.JOB_RETRY_PROPERTY + "=2s,2s,200");

    @TempDir
    Path dir;
    private final List<ChildCommand> children = new ArrayList<>();
    private PostgresCluster standby;
    private Path events;
    private URI status;

    @AfterEach
    void stopChildren() throws InterruptedException {
        for (ChildCommand child : children) {
            child.destroy();
        }
    }

    @Test
    void s3Stopped_failsTheArchive_alertsOnceOnEachChannel_replicationGoesOn_andS3BackResolvesItOnce()
            throws Exception {
        List<JsonNode> posts = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            posts.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        events = dir.resolve("events.txt");
        Path notify = dir.resolve("notify.sh");
        Files.writeString(notify, "#!/bin/sh\nprintf '%s %s %s\\n' \"$LIFEBOAT_EVENT\" \"$LIFEBOAT_SEVERITY\""
                + " \"$(cat)\" >> " + events + "\n");
        notify.toFile().setExecutable(true);
        try (PostgresCluster master = PostgresCluster.builder().start();
             PostgresCluster standby = PostgresCluster.builder().start();
             S3Server s3 = S3Server.start()) {
            this.standby = standby;
            s3.createBucket("nightly");
            PgpKeys.generate("Lifeboat Backups <backups@example.invalid>", "pass".toCharArray())
                    .writeArmoredPublicKey(dir.resolve("backup.pub.asc"));
            for (PostgresCluster cluster : List.of(master, standby)) {
                cluster.execute("CREATE TABLE ledger (id bigint PRIMARY KEY, note text)");
            }
            master.execute("INSERT INTO ledger SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
            Path config = config(master, s3, receiver.getAddress().getPort(), notify);

            // A first run does tonight's work with S3 there: the archive succeeds, nothing is said about it.
            ChildCommand first = child("first.log", "-c", config.toString(), "run");
            awaitTrue("the first run's archive, validation and dry-run", Duration.ofSeconds(120),
                    () -> jobs("kind = 'archive' AND state = 'succeeded'") == 1 && jobs("kind = 'prune'") == 1
                            && jobs("kind = 'validate'") == 1 && jobs("kind = 'dry-run'") == 1
                            && jobs("state = 'running'") == 0);

            // S3 goes away. The next archive is tomorrow night's, or at once when a service starts inside the window
            // and cannot see tonight's backup on the store: a restart stands in for the next night.
            s3.stop();
            assertThatThrownBy(() -> new Socket("127.0.0.1", s3.endpoint().getPort()).close())
                    .as("a connection to the stopped s3 server").isInstanceOf(ConnectException.class);
            first.signal("TERM");
            assertThat(first.exitCode(Duration.ofSeconds(40))).as(first.output()).isZero();
            assertThat(sent()).as("events of the first run").noneMatch(e -> e.key().equals(KEY));
            long lastJob = Long.parseLong(value(standby, "SELECT max(id) FROM lifeboat.job"));
            ChildCommand second = child("second.log", "-c", config.toString(), "run");

            awaitTrue("the archive failure's alert on both channels", Duration.ofSeconds(90),
                    () -> sent("firing").size() == 1 && posts(posts, "firing").size() == 1);
            long failedAtAlert = jobs("kind = 'archive' AND state = 'failed'");
            assertThat(failedAtAlert).isPositive();
            master.execute("INSERT INTO ledger VALUES (5000, 'written while S3 is away')");
            awaitTrue("the row written while S3 is away on the standby", Duration.ofSeconds(30),
                    () -> value(standby, "SELECT count(*) FROM ledger WHERE id = 5000").equals("1"));
            // Two more failed attempts, and a round of the monitor that judged them: still the one alert.
            awaitTrue("two more failed archive attempts", Duration.ofSeconds(60),
                    () -> jobs("kind = 'archive' AND state = 'failed'") >= failedAtAlert + 2);
            awaitMonitorRoundAfter(newestEnd("kind = 'archive' AND state = 'failed'"));
            assertThat(jobs("kind = 'archive' AND state = 'succeeded' AND id > " + lastJob)).isZero();
            assertThat(sent()).as("events while S3 is away").filteredOn(e -> e.key().equals(KEY)).hasSize(1);
            assertThat(posts(posts, "")).as("webhook posts while S3 is away").hasSize(1);

            // S3 comes back with the same objects: a retry succeeds, and the alert resolves once.
            s3.restart();
            awaitTrue("the archive to succeed again and its alert to resolve on both channels", Duration.ofSeconds(60),
                    () -> jobs("kind = 'archive' AND state = 'succeeded' AND id > " + lastJob) == 1
                            && jobs("kind = 'prune' AND id > " + lastJob) == 1 && jobs("state = 'running'") == 0
                            && sent("resolved").size() == 1 && posts(posts, "resolved").size() == 1);
            awaitMonitorRoundAfter(Instant.now());
            second.signal("TERM");
            assertThat(second.exitCode(Duration.ofSeconds(40))).as(second.output()).isZero();

            List<Sent> archive = sent().stream().filter(e -> e.key().equals(KEY)).toList();
            assertThat(archive).as("every event of the archive failure").extracting(Sent::kind)
                    .containsExactly("firing", "resolved");
            assertThat(sent().stream().filter(e -> e.kind().equals("firing")).collect(Collectors.groupingBy(Sent::key,
                    Collectors.counting()))).as("firing events per alert, the restart included").allSatisfy(
                            (key, count) -> assertThat(count).as(key).isEqualTo(1));
            String failure = value(standby, "SELECT detail->>'error' FROM lifeboat.job WHERE kind = 'archive'"
                    + " AND state = 'failed' ORDER BY id LIMIT 1");
            assertThat(failure).contains(s3.endpoint().toString());
            Sent firing = archive.get(0);
            assertThat(firing.severity()).isEqualTo("critical");
            assertThat(firing.json().path("event").asText()).isEqualTo("firing");
            assertThat(firing.json().path("severity").asText()).isEqualTo("critical");
            assertThat(firing.json().path("alertname").asText()).isEqualTo("LifeboatJobFailed");
            assertThat(firing.json().path("summary").asText()).isEqualTo("archive job failed: " + failure);
            assertThat(firing.json().has("ended_at")).isFalse();
            Sent resolved = archive.get(1);
            assertThat(resolved.severity()).isEqualTo("info");
            assertThat(resolved.json().path("event").asText()).isEqualTo("resolved");
            assertThat(resolved.json().path("alertname").asText()).isEqualTo("LifeboatJobFailed");
            assertThat(resolved.json().path("started_at")).isEqualTo(firing.json().path("started_at"));
            assertThat(Instant.parse(resolved.json().path("ended_at").asText()))
                    .isAfter(Instant.parse(firing.json().path("started_at").asText()));

            List<JsonNode> hooks = posts(posts, "");
            assertThat(hooks).as("every webhook post of the archive failure").hasSize(2);
            for (JsonNode post : hooks) {
                assertThat(post.path("version").asText()).isEqualTo("4");
                assertThat(post.path("groupKey").asText()).contains("key=\"" + KEY + "\"");
                assertThat(post.path("alerts")).hasSize(1);
                JsonNode alert = post.path("alerts").path(0);
                assertThat(alert.path("status").asText()).isEqualTo(post.path("status").asText());
                assertThat(alert.path("labels").path("alertname").asText()).isEqualTo("LifeboatJobFailed");
                assertThat(alert.path("labels").path("severity").asText()).isEqualTo("critical");
                assertThat(alert.path("annotations").path("summary").asText()).isEqualTo("archive job failed: "
                        + failure);
            }
            JsonNode fired = hooks.get(0).path("alerts").path(0);
            JsonNode cleared = hooks.get(1).path("alerts").path(0);
            assertThat(hooks.get(0).path("status").asText()).isEqualTo("firing");
            assertThat(hooks.get(1).path("status").asText()).isEqualTo("resolved");
            // A receiver tells which alert cleared by its labels and fingerprint: the same as when it fired.
            assertThat(cleared.path("labels")).isEqualTo(fired.path("labels"));
            assertThat(cleared.path("fingerprint")).isEqualTo(fired.path("fingerprint"));
            assertThat(cleared.path("startsAt")).isEqualTo(fired.path("startsAt"));
            assertThat(fired.path("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
            assertThat(Instant.parse(cleared.path("endsAt").asText()))
                    .isAfter(Instant.parse(fired.path("startsAt").asText()));

            assertThat(value(standby, "SELECT count(*) FROM ledger")).isEqualTo(value(master,
                    "SELECT count(*) FROM ledger"));
            for (ChildCommand run : List.of(first, second)) {
                assertThat(run.output()).as("the metrics registry is in place before replication counts")
                        .doesNotContain("A MeterRegistry is being added");
            }
        } finally {
            receiver.stop(0);
        }
    }

    /**
     * A config whose archive window holds the present (UTC), so the nightly archive is due at once; a ladder
     * without the offsite-dump rung, whose dry-run would read S3 too; the service's HTTP on a free port.
     */
    private Path config(PostgresCluster master, S3Server s3, int webhookPort, Path notify) throws IOException {
        int httpPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            httpPort = free.getLocalPort();
        }
        status = URI.create("http://127.0.0.1:" + httpPort + "/status");
        LocalTime now = LocalTime.now(ZoneOffset.UTC);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %d, database: postgres, user: postgres, sslmode: disable}
                archive:
                  recipients: [backup.pub.asc]
                  window: %s-%s
                  targets:
                    - {name: primary, type: s3, bucket: nightly, endpoint: %s, path_style: true, access_key_id: %s,
                       secret_access_key: %s}
                recovery:
                  ladder: [restart-master, promote-standby]
                service:
                  timezone: UTC
                  http: 127.0.0.1:%d
                  notify:
                    command: %s
                    webhook: http://127.0.0.1:%d/hook
                    repeat: 1h
                    state_file: %s
                    report_at: "off"
                """.formatted(master.port(), standby.port(), now.minusHours(2).format(hhmm),
                now.plusHours(2).format(hhmm), s3.endpoint(), s3.accessKey(), s3.secretKey(), httpPort, notify,
                webhookPort, dir.resolve("state/alerts.json")));
        return file;
    }

    private ChildCommand child(String log, String... args) throws IOException {
        ChildCommand child = ChildCommand.start(dir.resolve(log), QUICK_RETRY, args);
        children.add(child);
        return child;
    }

    /** One line the notify command wrote: the event and severity of its environment, and the JSON on its stdin. */
    private record Sent(String kind, String severity, JsonNode json) {
        String key() {
            return json.path("key").asText();
        }
    }

    /** Every event the notify command received. */
    private List<Sent> sent() {
        List<Sent> sent = new ArrayList<>();
        try {
            if (Files.exists(events)) {
                for (String line : Files.readAllLines(events, StandardCharsets.UTF_8)) {
                    String[] parts = line.split(" ", 3);
                    sent.add(new Sent(parts[0], parts[1], JSON.readTree(parts[2])));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sent;
    }

    /** The events of this test's alert of one kind (firing, resolved, …). */
    private List<Sent> sent(String kind) {
        return sent().stream().filter(e -> e.key().equals(KEY) && e.kind().equals(kind)).toList();
    }

    /** The webhook posts of this test's alert with the given status; "" for all of them. */
    private static List<JsonNode> posts(List<JsonNode> posts, String status) {
        return posts.stream().filter(p -> p.path("alerts").path(0).path("labels").path("key").asText().equals(KEY)
                && (status.isEmpty() || p.path("status").asText().equals(status))).toList();
    }

    /**
     * Waits until a round of the service's monitor has judged a status read after {@code after} and has finished
     * (the next round has begun), so whatever that round had to send has been sent.
     */
    private void awaitMonitorRoundAfter(Instant after) throws InterruptedException {
        AtomicReference<Instant> judged = new AtomicReference<>();
        awaitTrue("a monitor round after " + after, Duration.ofSeconds(60),
                () -> statusAt().filter(at -> at.isAfter(after)).map(at -> {
                    judged.set(at);
                    return true;
                }).orElse(false));
        awaitTrue("the monitor round after " + judged.get(), Duration.ofSeconds(60),
                () -> statusAt().filter(at -> at.isAfter(judged.get())).isPresent());
    }

    /** When the status the service's {@code /status} shows was read. */
    private Optional<Instant> statusAt() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(Instant.parse(JSON.readTree(response.body()).path("at")
                    .asText())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Instant newestEnd(String where) {
        try (Connection c = standby.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT max(ended_at) FROM lifeboat.job WHERE " + where)) {
            r.next();
            return r.getTimestamp(1).toInstant();
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** How many rows of {@code lifeboat.job} match; none before the first run has made the catalog. */
    private long jobs(String where) {
        String sql = "SELECT count(*) FROM lifeboat.job WHERE " + where;
        try (Connection c = standby.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0;
            }
            throw new AssertionError(sql, e);
        }
    }

    private static String value(PostgresCluster cluster, String sql) {
        try (Connection c = cluster.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        } catch (SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    private void awaitTrue(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        assertThat(ChildCommand.await(limit, condition)).as(() -> "waited " + limit.toSeconds() + " s for " + what
                + "\njobs:" + jobList() + "\nevents:\n" + sent().stream().map(Sent::toString)
                .collect(Collectors.joining("\n")) + children.stream().map(c -> "\n--- a run:\n" + c.output())
                .collect(Collectors.joining())).isTrue();
    }

    private String jobList() {
        try (Connection c = standby.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT id, kind, state, detail->>'message', detail->>'error' FROM lifeboat.job ORDER BY id")) {
            StringBuilder out = new StringBuilder();
            while (r.next()) {
                out.append("\n  ").append(r.getLong(1)).append(' ').append(r.getString(2)).append(' ')
                        .append(r.getString(3)).append(": ").append(r.getString(4)).append(" / ")
                        .append(r.getString(5));
            }
            return out.toString();
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
