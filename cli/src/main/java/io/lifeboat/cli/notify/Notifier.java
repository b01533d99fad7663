package io.lifeboat.cli.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lifeboat.core.config.MonitorConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends events through {@code service.notify.command} (the event's JSON on stdin, {@code LIFEBOAT_EVENT} and
 * {@code LIFEBOAT_SEVERITY} in the environment) and {@code service.notify.webhook} (POST in Alertmanager's webhook
 * format, so receivers written for it parse it: version 4, status, alerts with labels, annotations, startsAt,
 * endsAt). Each send is bounded in time and the webhook is tried up to three times; a failure is logged, never thrown:
 * alerts must not stop the service.
 */
public final class Notifier {
    private static final Logger log = LoggerFactory.getLogger(Notifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final int WEBHOOK_ATTEMPTS = 3;

    private final MonitorConfig.Notify config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public Notifier(MonitorConfig.Notify config) {
        this.config = config;
    }

    /** Sends each event on every configured channel; returns false if any channel failed for any event. */
    public boolean send(List<Event> events) {
        boolean all = true;
        for (Event event : events) {
            log.info("alert {}: {}", event.kind(), event.alert().summary());
            if (config.command().isPresent()) {
                all &= runCommand(config.command().get(), event);
            }
            if (config.webhook().isPresent()) {
                all &= post(config.webhook().get(), event);
            }
        }
        return all;
    }

    /** The event as the notify command reads it on stdin. */
    static String eventJson(Event event) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", event.kind());
        root.put("severity", event.severity());
        root.put("key", event.alert().key());
        root.put("alertname", event.alert().name());
        root.put("summary", event.alert().summary());
        root.put("description", event.alert().description());
        root.put("started_at", event.startedAt().toString());
        event.endedAt().ifPresent(end -> root.put("ended_at", end.toString()));
        root.put("at", event.at().toString());
        return root.toString();
    }

    /**
     * Alertmanager's webhook payload (version 4) holding the one alert, as Alertmanager would send it grouped by
     * alertname and key: each post is its own group, so a receiver that keys on the group (PagerDuty-style
     * incidents by {@code groupKey}) resolves exactly the alert that cleared. The labels identify the alert and are
     * the same whether it fires, is reminded of or resolves; which of those a post is goes in the annotations.
     */
    static String alertmanagerJson(Event event) {
        boolean resolved = event.kind().equals(Event.RESOLVED);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "4");
        root.put("groupKey", "{}:{alertname=\"" + quoted(event.alert().name()) + "\", key=\""
                + quoted(event.alert().key()) + "\"}");
        root.put("truncatedAlerts", 0);
        root.put("status", resolved ? "resolved" : "firing");
        root.put("receiver", "lifeboat");
        ObjectNode groupLabels = root.putObject("groupLabels");
        groupLabels.put("alertname", event.alert().name());
        groupLabels.put("key", event.alert().key());
        ObjectNode labels = JSON.createObjectNode();
        labels.put("alertname", event.alert().name());
        labels.put("severity", event.kind().equals(Event.REPORT) ? "info" : event.alert().severity());
        labels.put("key", event.alert().key());
        ObjectNode annotations = JSON.createObjectNode();
        annotations.put("summary", event.alert().summary());
        annotations.put("description", event.alert().description());
        annotations.put("event", event.kind());
        root.set("commonLabels", labels.deepCopy());
        root.set("commonAnnotations", annotations.deepCopy());
        root.put("externalURL", "");
        ArrayNode alerts = root.putArray("alerts");
        ObjectNode alert = alerts.addObject();
        alert.put("status", resolved ? "resolved" : "firing");
        alert.set("labels", labels);
        alert.set("annotations", annotations);
        alert.put("startsAt", event.startedAt().toString());
        // Alertmanager's zero time marks an alert that has not ended.
        alert.put("endsAt", event.endedAt().map(Object::toString).orElse("0001-01-01T00:00:00Z"));
        alert.put("generatorURL", "");
        alert.put("fingerprint", String.format(Locale.ROOT, "%016x", (long) event.alert().key().hashCode()
                & 0xffffffffL));
        return root.toString();
    }

    /** A label value inside a label set's text form ({@code key="…"}). */
    private static String quoted(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private boolean runCommand(String command, Event event) {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("LIFEBOAT_EVENT", event.kind());
        builder.environment().put("LIFEBOAT_SEVERITY", event.severity());
        builder.environment().put("LIFEBOAT_ALERT", event.alert().key());
        try {
            Process process = builder.start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write((eventJson(event) + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The command need not read its input.
            }
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                log.warn("service.notify.command did not finish within {}s for {}; killed", TIMEOUT.toSeconds(),
                        event.alert().key());
                return false;
            }
            if (process.exitValue() != 0) {
                log.warn("service.notify.command exited {} for {}", process.exitValue(), event.alert().key());
                return false;
            }
            return true;
        } catch (IOException e) {
            log.warn("cannot run service.notify.command ({})", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean post(URI webhook, Event event) {
        HttpRequest request = HttpRequest.newBuilder(webhook).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(alertmanagerJson(event), StandardCharsets.UTF_8)).build();
        String last = "";
        for (int attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
            try {
                HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() / 100 == 2) {
                    return true;
                }
                last = "HTTP " + response.statusCode();
                if (response.statusCode() / 100 == 4 && response.statusCode() != 429) {
                    break; // the receiver refuses this request: sending it again changes nothing
                }
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (attempt < WEBHOOK_ATTEMPTS) {
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        log.warn("cannot post {} to service.notify.webhook {} ({})", event.alert().key(), webhook, last);
        return false;
    }
}
