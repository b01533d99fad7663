package io.lifeboat.core.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * What the service shows and says about recoverability, from the {@code service} block: the HTTP endpoint
 * ({@code service.http}, {@code service.http_allow_remote}), alerts and the nightly report ({@code service.notify}),
 * and the thresholds that turn a reading into a warning or an outage ({@code service.thresholds}).
 *
 * @param alerts the {@code service.notify} block
 * @param http where {@code /metrics}, {@code /health} and {@code /status} are served; empty: no HTTP at all
 */
public record MonitorConfig(Optional<Http> http, Notify alerts, Thresholds thresholds) {

    /**
     * Above Prometheus' exporter range 9100-9999 (full; 9187 is postgres_exporter's, which often runs beside us):
     * postgres_exporter's port plus 1000, easy to remember next to it.
     */
    public static final int DEFAULT_HTTP_PORT = 10187;

    public static MonitorConfig defaults() {
        return new MonitorConfig(Optional.empty(), Notify.defaults(), Thresholds.defaults(Optional.empty()));
    }

    /** @param allowRemote {@code service.http_allow_remote}: a non-loopback address was asked for on purpose */
    public record Http(InetSocketAddress address, boolean allowRemote) {
        /** How the address reads in messages and config: {@code 127.0.0.1:10187}. */
        public String text() {
            String host = address.getAddress().getHostAddress();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        }
    }

    /**
     * @param command run through {@code sh -c} for each event, the event's JSON on its stdin
     * @param webhook POSTed each event in Alertmanager's webhook format
     * @param repeat how often a condition still firing is reminded of
     * @param stateFile which conditions are firing and when each was last sent, so a restart does not re-send them
     * @param reportAt local time of the nightly summary; empty: no report
     */
    public record Notify(Optional<String> command, Optional<URI> webhook, Duration repeat, Path stateFile,
            Optional<LocalTime> reportAt) {
        public static final Duration DEFAULT_REPEAT = Duration.ofHours(6);
        public static final Path DEFAULT_STATE_FILE = Path.of("/var/lib/lifeboat/alerts.json");
        public static final LocalTime DEFAULT_REPORT_AT = LocalTime.of(7, 0);

        static Notify defaults() {
            return new Notify(Optional.empty(), Optional.empty(), DEFAULT_REPEAT, DEFAULT_STATE_FILE,
                    Optional.of(DEFAULT_REPORT_AT));
        }

        /** Whether alerts go anywhere at all. */
        public boolean enabled() {
            return command.isPresent() || webhook.isPresent();
        }
    }

    /**
     * A reading past its threshold is a warning; past twice the age thresholds, or past {@code lagCritical}, it is
     * critical.
     *
     * @param snapshotAge how old the newest snapshot may be (default: twice {@code snapshots.schedule}'s interval)
     * @param archiveAge how old the newest complete backup on each target may be
     * @param validationAge how old the last {@code sync validate} may be
     * @param dryRunAge how old the last recovery dry-run may be
     */
    public record Thresholds(Duration lagWarning, Duration lagCritical, Duration snapshotAge, Duration archiveAge,
            Duration validationAge, Duration dryRunAge) {
        static Thresholds defaults(Optional<SnapshotsConfig> snapshots) {
            return new Thresholds(Duration.ofSeconds(30), Duration.ofMinutes(5), defaultSnapshotAge(snapshots),
                    Duration.ofHours(26), Duration.ofHours(26), Duration.ofHours(26));
        }

        private static Duration defaultSnapshotAge(Optional<SnapshotsConfig> snapshots) {
            return snapshots.map(s -> s.schedule().interval().multipliedBy(2)).orElse(Duration.ofHours(2));
        }
    }

    /** Reads the keys of the {@code service} block this record owns; the caller rejects the block's unknown keys. */
    static MonitorConfig read(ConfigSection service, Optional<SnapshotsConfig> snapshots) {
        Optional<InetSocketAddress> address = service.parsed("http", MonitorConfig::address);
        boolean allowRemote = service.bool("http_allow_remote").orElse(false);
        if (address.isPresent() && !address.get().getAddress().isLoopbackAddress() && !allowRemote) {
            service.error("http", address.get().getAddress().getHostAddress() + " is not a loopback address (metrics"
                    + " and status would be open to the network); set service.http_allow_remote: true to serve there");
            address = Optional.empty();
        }
        Optional<Http> http = address.map(a -> new Http(a, allowRemote));

        ConfigSection notifySection = service.section("notify");
        Optional<String> command = notifySection.string("command");
        if (command.isPresent() && command.get().isBlank()) {
            notifySection.error("command", "must not be empty (leave the key out for none)");
            command = Optional.empty();
        }
        Optional<URI> webhook = notifySection.parsed("webhook", MonitorConfig::webhook);
        Duration repeat = notifySection.parsed("repeat", HumanDuration::parse).orElse(Notify.DEFAULT_REPEAT);
        if (repeat.compareTo(Duration.ofSeconds(1)) < 0) {
            notifySection.error("repeat", "must be at least 1s");
        }
        Path stateFile = notifySection.string("state_file").map(notifySection.reader()::resolve)
                .orElse(Notify.DEFAULT_STATE_FILE);
        Optional<LocalTime> reportAt = notifySection.has("report_at")
                ? notifySection.parsed("report_at", MonitorConfig::reportAt).orElse(Optional.empty())
                : Optional.of(Notify.DEFAULT_REPORT_AT);
        notifySection.rejectUnknownKeys();

        ConfigSection limits = service.section("thresholds");
        Thresholds defaults = Thresholds.defaults(snapshots);
        Duration lagWarning = positive(limits, "lag_warning", defaults.lagWarning());
        Duration lagCritical = positive(limits, "lag_critical", defaults.lagCritical());
        if (lagCritical.compareTo(lagWarning) < 0) {
            limits.error("lag_critical", "is shorter than lag_warning (" + HumanDuration.format(lagWarning) + ")");
        }
        Thresholds thresholds = new Thresholds(lagWarning, lagCritical,
                positive(limits, "snapshot_age", defaults.snapshotAge()),
                positive(limits, "archive_age", defaults.archiveAge()),
                positive(limits, "validation_age", defaults.validationAge()),
                positive(limits, "dry_run_age", defaults.dryRunAge()));
        limits.rejectUnknownKeys();
        return new MonitorConfig(http, new Notify(command, webhook, repeat, stateFile, reportAt), thresholds);
    }

    private static Duration positive(ConfigSection section, String key, Duration fallback) {
        Duration value = section.parsed(key, HumanDuration::parse).orElse(fallback);
        if (value.isZero() || value.isNegative()) {
            section.error(key, "must be longer than 0s");
            return fallback;
        }
        return value;
    }

    /** {@code 127.0.0.1:10187}, {@code [::1]:10187}, a host alone (default port), a port alone, or on/true. */
    static InetSocketAddress address(String text) {
        String value = text.strip();
        if (Optional.of(value.toLowerCase(Locale.ROOT)).filter(v -> v.equals("true") || v.equals("on")
                || v.equals("yes")).isPresent()) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), DEFAULT_HTTP_PORT);
        }
        String host;
        String port;
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("'" + text + "' has an unclosed [ (write [::1]:"
                        + DEFAULT_HTTP_PORT + ")");
            }
            host = value.substring(1, end);
            String rest = value.substring(end + 1);
            port = rest.startsWith(":") ? rest.substring(1) : rest.isEmpty() ? null : "?";
        } else if (value.chars().allMatch(Character::isDigit) && !value.isEmpty()) {
            host = "127.0.0.1";
            port = value;
        } else {
            int colon = value.lastIndexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
        }
        int number = DEFAULT_HTTP_PORT;
        if (port != null) {
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                number = -1;
            }
            if (number < 0 || number > 65535) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT with a port from 0 to 65535"
                        + " (write it like 127.0.0.1:" + DEFAULT_HTTP_PORT + ")");
            }
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("'" + text + "' names no address (write it like 127.0.0.1:"
                    + DEFAULT_HTTP_PORT + ")");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), number);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve " + host + " (" + e.getMessage() + ")");
        }
    }

    private static URI webhook(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL (" + e.getReason() + ")");
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL");
        }
        return uri;
    }

    private static Optional<LocalTime> reportAt(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.equals("off") || value.equals("false") || value.equals("no") || value.equals("never")) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalTime.parse(value.length() == 4 ? "0" + value : value));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time of day like 07:00 (or off)");
        }
    }
}
