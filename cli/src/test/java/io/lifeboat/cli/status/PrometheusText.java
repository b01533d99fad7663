package io.lifeboat.cli.status;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), written from the format's specification
 * because no parser for it is packaged for Java here: every line must be a HELP, a TYPE, a comment, blank or a
 * sample; names and label names must match the format's grammar; a TYPE comes at most once per family and before its
 * samples; a family's samples are contiguous; no series appears twice; every value is a float, NaN or ±Inf.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");
    private static final List<String> SUFFIXES = List.of("_total", "_created", "_bucket", "_count", "_sum", "_info");

    private final Map<String, String> types = new HashMap<>();
    private final Map<String, Map<Map<String, String>, Double>> samples = new LinkedHashMap<>();

    public static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        Set<String> finished = new HashSet<>();
        String family = null;
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    require(NAME.matcher(parts[2]).matches(), number, "bad metric name " + parts[2]);
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), number, "bad type: " + line);
                        require(!parsed.types.containsKey(parts[2]), number, "second TYPE for " + parts[2]);
                        require(!parsed.samples.containsKey(parts[2]), number, "TYPE after samples of " + parts[2]);
                        parsed.types.put(parts[2], parts[3]);
                    }
                }
                continue;
            }
            Matcher name = NAME.matcher(line);
            require(name.lookingAt(), number, "not a sample: " + line);
            String metric = name.group();
            int at = name.end();
            Map<String, String> labels = new TreeMap<>();
            if (at < line.length() && line.charAt(at) == '{') {
                at = labels(line, at + 1, labels, number);
            }
            require(at < line.length() && line.charAt(at) == ' ', number, "no value: " + line);
            String[] rest = line.substring(at + 1).split(" ");
            require(rest.length == 1 || rest.length == 2, number, "trailing text: " + line);
            double value = value(rest[0], number);
            if (rest.length == 2) {
                require(rest[1].matches("-?\\d+"), number, "bad timestamp: " + line);
            }
            String owner = parsed.familyOf(metric);
            if (!owner.equals(family)) {
                require(!finished.contains(owner), number, "samples of " + owner + " are not contiguous");
                if (family != null) {
                    finished.add(family);
                }
                family = owner;
            }
            Double before = parsed.samples.computeIfAbsent(metric, k -> new LinkedHashMap<>()).put(labels, value);
            require(before == null, number, "series " + metric + labels + " appears twice");
        }
        return parsed;
    }

    private String familyOf(String metric) {
        if (types.containsKey(metric)) {
            return metric;
        }
        for (String suffix : SUFFIXES) {
            if (metric.endsWith(suffix) && types.containsKey(metric.substring(0, metric.length() - suffix.length()))) {
                return metric.substring(0, metric.length() - suffix.length());
            }
        }
        return metric;
    }

    private static int labels(String line, int at, Map<String, String> labels, int number) {
        while (true) {
            if (line.charAt(at) == '}') {
                return at + 1;
            }
            Matcher label = LABEL.matcher(line).region(at, line.length());
            require(label.lookingAt(), number, "bad label name at " + at + ": " + line);
            at = label.end();
            require(line.startsWith("=\"", at), number, "label without =\"value\": " + line);
            at += 2;
            StringBuilder value = new StringBuilder();
            while (line.charAt(at) != '"') {
                char c = line.charAt(at++);
                if (c == '\\') {
                    char escaped = line.charAt(at++);
                    require(escaped == '\\' || escaped == '"' || escaped == 'n', number, "bad escape: " + line);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
            }
            at++;
            require(labels.put(label.group(), value.toString()) == null, number, "label twice: " + line);
            if (line.charAt(at) == ',') {
                at++;
            }
        }
    }

    private static double value(String text, int number) {
        switch (text) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new AssertionError("line " + number + ": bad value " + text);
                }
        }
    }

    private static void require(boolean condition, int number, String message) {
        if (!condition) {
            throw new AssertionError("line " + number + ": " + message);
        }
    }

    /** The family's declared type; fails when the family has no TYPE line. */
    public String type(String family) {
        String type = types.get(family);
        if (type == null) {
            throw new AssertionError("no TYPE for " + family + "; families: " + types.keySet());
        }
        return type;
    }

    /** The value of the one series with exactly these labels. */
    public double value(String metric, Map<String, String> labels) {
        Map<Map<String, String>, Double> series = samples.get(metric);
        if (series == null || !series.containsKey(new TreeMap<>(labels))) {
            throw new AssertionError("no series " + metric + labels + "; has " + (series == null ? samples.keySet()
                    : series.keySet()));
        }
        return series.get(new TreeMap<>(labels));
    }

    public Set<String> metrics() {
        return samples.keySet();
    }
}
