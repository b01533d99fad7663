package io.lifeboat.core.config;

import io.lifeboat.core.error.FileError;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/** Reads and validates {@code lifeboat.yml}, reporting every problem at once. */
public final class ConfigLoader {
    /** ${VAR} (or ${VAR:-default}) not inside quotes: preceded by the start, a space, a colon, a comma or a bracket. */
    private static final Pattern UNQUOTED_VARIABLE = Pattern.compile("(?:^|[\\s:,\\[{])(\\$\\{[^}]*})");

    private ConfigLoader() {
    }

    public static LoadedConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** @throws ConfigException holding every error found (warnings alone do not throw) */
    public static LoadedConfig load(Path file, Map<String, String> environment) {
        return load(new ConfigReader(file, environment), file);
    }

    /** With the caller's reader, which afterwards knows every key the code read (ConfigReferenceTest). */
    static LoadedConfig load(ConfigReader reader, Path file) {
        Node root = parse(file, reader);
        if (root == null) {
            throw new ConfigException(reader.problems());
        }
        ConfigSection top = ConfigSection.of(reader, "", 1, root);
        ConfigSection masterSection = top.section("master");
        // The master block also says where the master's data lives; it is read before the block's keys are checked.
        Optional<java.nio.file.Path> masterData = RecoveryConfig.readMasterDataDirectory(masterSection);
        Optional<ConnectionConfig> master = requiredConnection(top, "master", masterSection);
        Optional<ConnectionConfig> standby = requiredConnection(top, "standby", top.section("standby"));
        ReplicationConfig replication = ReplicationConfig.read(top.section("replication"));
        ConfigSection archiveSection = top.section("archive");
        ArchiveConfig archive = ArchiveConfig.read(archiveSection);
        ConfigSection serviceSection = top.section("service");
        ServiceConfig service = ServiceConfig.read(serviceSection, archiveSection);
        archiveSection.rejectUnknownKeys();
        Optional<SnapshotsConfig> snapshots = SnapshotsConfig.read(top.section("snapshots"));
        RecoveryConfig recovery = RecoveryConfig.read(top.section("recovery"), masterData);
        // One section object for the whole service block, so every record reading its keys marks them as known.
        MonitorConfig monitor = MonitorConfig.read(serviceSection, snapshots);
        serviceSection.rejectUnknownKeys();
        top.rejectUnknownKeys();
        if (master.isPresent() && standby.isPresent() && sameDatabase(master.get(), standby.get())) {
            reader.error(top.lineOf("standby"), "standby",
                    "is the same database as master (" + standby.get().address() + "/" + standby.get().database() + ")");
        }
        if (reader.hasErrors()) {
            throw new ConfigException(reader.problems());
        }
        return new LoadedConfig(new LifeboatConfig(file, master.get(), standby.get(), replication, archive, snapshots,
                recovery, service, monitor), reader.problems());
    }

    private static Optional<ConnectionConfig> requiredConnection(ConfigSection top, String key, ConfigSection section) {
        if (!top.has(key)) {
            top.reader().error(top.declares(key) ? top.lineOf(key) : 0, key, "missing (required block)");
            return Optional.empty();
        }
        Optional<ConnectionConfig> connection = ConnectionConfig.read(section);
        section.rejectUnknownKeys();
        return connection;
    }

    private static boolean sameDatabase(ConnectionConfig a, ConnectionConfig b) {
        return a.host().equals(b.host()) && a.port() == b.port() && a.database().equals(b.database());
    }

    /**
     * In a flow block ({@code { }} or {@code [ ]}) an unquoted {@code ${VAR}} is YAML syntax, not text: the error
     * YAML gives says nothing of it, so the line is looked at for one.
     */
    private static String unquotedVariable(Path file, int line) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String text = line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
            Matcher unquoted = UNQUOTED_VARIABLE.matcher(text);
            return unquoted.find() ? " (inside { } or [ ] quote the value: \"" + unquoted.group(1) + "\")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static Node parse(Path file, ConfigReader reader) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(50);
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Node root = new Yaml(options).compose(in);
            if (root == null) {
                reader.error(0, "", "the file is empty");
            }
            return root;
        } catch (NoSuchFileException e) {
            reader.error(0, "", "cannot read the config file (no such file)");
        } catch (IOException e) {
            reader.error(0, "", "cannot read the config file (" + FileError.reason(e) + ")");
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            reader.error(line, "", "not valid YAML: " + e.getProblem() + unquotedVariable(file, line));
        } catch (YAMLException e) {
            reader.error(0, "", "not valid YAML: " + e.getMessage());
        }
        return null;
    }
}
