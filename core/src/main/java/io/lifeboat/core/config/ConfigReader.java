package io.lifeboat.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** What every section of one file being read shares: its name for messages, its folder, the environment, the problems. */
final class ConfigReader {
    private static final Pattern ITEM_INDEX = Pattern.compile("\\[\\d+]");
    private final String fileName;
    private final Path directory;
    private final EnvInterpolation interpolation;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Set<String> askedKeys = new LinkedHashSet<>();
    private final Set<String> askedBlocks = new LinkedHashSet<>();

    ConfigReader(Path file, Map<String, String> environment) {
        this.fileName = file.getFileName().toString();
        Path parent = file.toAbsolutePath().getParent();
        this.directory = parent == null ? Path.of(".") : parent;
        this.interpolation = new EnvInterpolation(environment);
    }

    String fileName() {
        return fileName;
    }

    /** Relative paths in a config file are relative to the file, not to wherever lifeboat was started. */
    Path resolve(String path) {
        return directory.resolve(path);
    }

    EnvInterpolation interpolation() {
        return interpolation;
    }

    /** A key the code read (whether the file sets it or not); list items as {@code targets[]}. */
    void asked(String keyPath) {
        askedKeys.add(ITEM_INDEX.matcher(keyPath).replaceAll("[]"));
    }

    /** A block the code read ({@code archive.targets[]} for a list of blocks). */
    void askedBlock(String keyPath) {
        askedBlocks.add(ITEM_INDEX.matcher(keyPath).replaceAll("[]"));
    }

    /** Every key read so far, in reading order: what Lifeboat accepts, for the configuration reference's test. */
    Set<String> askedKeys() {
        return Collections.unmodifiableSet(askedKeys);
    }

    Set<String> askedBlocks() {
        return Collections.unmodifiableSet(askedBlocks);
    }

    void error(int line, String key, String message) {
        problems.add(new ConfigProblem(fileName, line, key, message, ConfigProblem.Severity.ERROR));
    }

    void warning(int line, String key, String message) {
        problems.add(new ConfigProblem(fileName, line, key, message, ConfigProblem.Severity.WARNING));
    }

    /** In the file's order, so a reader can fix them top to bottom; those of no line (a missing block) last. */
    List<ConfigProblem> problems() {
        return problems.stream().sorted(Comparator.comparingInt(p -> p.line() == 0 ? Integer.MAX_VALUE : p.line()))
                .toList();
    }

    int errorCount() {
        return (int) problems.stream().filter(p -> p.severity() == ConfigProblem.Severity.ERROR).count();
    }

    boolean hasErrors() {
        return problems.stream().anyMatch(p -> p.severity() == ConfigProblem.Severity.ERROR);
    }
}
