package io.lifeboat.cli.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which conditions are firing and when each was last sent, kept in a file so that a restart neither re-sends what
 * is already known nor forgets to resolve it. One alert when a condition starts, one when it clears, a reminder at
 * most every {@code repeat} in between. A state file that cannot be written is logged once and the book goes on in
 * memory.
 */
public final class AlertBook {
    private static final Logger log = LoggerFactory.getLogger(AlertBook.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(Alert alert, Instant startedAt, Instant lastSentAt) {
    }

    private final Path file;
    private final Duration repeat;
    private final Map<String, Entry> firing = new LinkedHashMap<>();
    private Optional<LocalDate> lastReport = Optional.empty();
    private boolean writeFailed;

    private AlertBook(Path file, Duration repeat) {
        this.file = file;
        this.repeat = repeat;
    }

    public static AlertBook open(Path file, Duration repeat) {
        AlertBook book = new AlertBook(file, repeat);
        if (Files.exists(file)) {
            try {
                JsonNode root = JSON.readTree(file.toFile());
                for (Iterator<Map.Entry<String, JsonNode>> it = root.path("firing").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode n = e.getValue();
                    Alert alert = new Alert(e.getKey(), n.path("name").asText(), n.path("severity").asText(),
                            n.path("summary").asText(), n.path("description").asText());
                    book.firing.put(e.getKey(), new Entry(alert, Instant.parse(n.path("started_at").asText()),
                            Instant.parse(n.path("last_sent_at").asText())));
                }
                if (root.hasNonNull("last_report")) {
                    book.lastReport = Optional.of(LocalDate.parse(root.path("last_report").asText()));
                }
            } catch (IOException | RuntimeException e) {
                log.warn("cannot read the alert state {} ({}); starting with none firing", file, e.getMessage());
            }
        }
        return book;
    }

    /** The events this round calls for, recorded as sent: call {@link #save} after sending them. */
    public synchronized List<Event> reconcile(List<Alert> active, Instant now) {
        List<Event> events = new ArrayList<>();
        Set<String> keys = active.stream().map(Alert::key).collect(Collectors.toSet());
        for (Iterator<Entry> it = firing.values().iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            if (!keys.contains(entry.alert().key())) {
                events.add(new Event(Event.RESOLVED, entry.alert(), entry.startedAt(), Optional.of(now), now));
                it.remove();
            }
        }
        for (Alert alert : active) {
            Entry entry = firing.get(alert.key());
            if (entry == null) {
                firing.put(alert.key(), new Entry(alert, now, now));
                events.add(new Event(Event.FIRING, alert, now, Optional.empty(), now));
            } else if (!Duration.between(entry.lastSentAt(), now).minus(repeat).isNegative()) {
                firing.put(alert.key(), new Entry(alert, entry.startedAt(), now));
                events.add(new Event(Event.REMINDER, alert, entry.startedAt(), Optional.empty(), now));
            } else {
                firing.put(alert.key(), new Entry(alert, entry.startedAt(), entry.lastSentAt()));
            }
        }
        return events;
    }

    public synchronized Optional<LocalDate> lastReport() {
        return lastReport;
    }

    public synchronized void reported(LocalDate day) {
        lastReport = Optional.of(day);
    }

    /** Writes the state (0600 in a 0700 directory), replacing the file atomically. */
    public synchronized void save() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode alerts = root.putObject("firing");
        for (Entry entry : firing.values()) {
            ObjectNode n = alerts.putObject(entry.alert().key());
            n.put("name", entry.alert().name());
            n.put("severity", entry.alert().severity());
            n.put("summary", entry.alert().summary());
            n.put("description", entry.alert().description());
            n.put("started_at", entry.startedAt().toString());
            n.put("last_sent_at", entry.lastSentAt().toString());
        }
        lastReport.ifPresent(day -> root.put("last_report", day.toString()));
        try {
            Path directory = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Path temporary = directory.resolve(file.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
            Files.write(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            writeFailed = false;
        } catch (IOException e) {
            if (!writeFailed) {
                log.warn("cannot write the alert state {} ({}); a restart will send firing alerts again", file,
                        e.getMessage());
            }
            writeFailed = true;
        }
    }
}
