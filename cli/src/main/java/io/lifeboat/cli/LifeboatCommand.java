package io.lifeboat.cli;

import ch.qos.logback.classic.Level;
import io.lifeboat.core.config.ConfigException;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.ConfigProblem;
import io.lifeboat.core.config.LoadedConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

@Command(name = "lifeboat", mixinStandardHelpOptions = true, versionProvider = VersionText.class,
        description = "Keeps a PostgreSQL database recoverable: replicate, snapshot, archive, recover.",
        subcommands = {DemoCommand.class, StatusCommand.class, SyncCommand.class, SnapshotCommand.class, ArchiveCommand.class, RecoverCommand.class, RunCommand.class, ConfigCommand.class, CatalogCommand.class, VersionCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 warning, 2 error or bad input; status: 2 critical, 3 unknown; archive verify:"
                + " 3 a target did not answer."})
final class LifeboatCommand extends CommandGroup {
    static final Path DEFAULT_CONFIG = Path.of("lifeboat.yml");
    static final Path SYSTEM_CONFIG = Path.of("/etc/lifeboat/lifeboat.yml");

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Config file (default: $LIFEBOAT_CONFIG, ./lifeboat.yml, /etc/lifeboat/lifeboat.yml).")
    Path config;

    /** Set by {@code -v}; listings print more about each item too. */
    boolean verbose;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Log at DEBUG level; listings show more of each item.")
    void verbose(boolean on) {
        verbose = on;
        if (on) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(Level.DEBUG);
            // The libraries' own stack traces too, through the root's appender.
            for (String library : List.of("io.debezium", "org.apache.kafka", "com.zaxxer.hikari")) {
                var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(library);
                logger.detachAppender("libraries");
                logger.setAdditive(true);
            }
            for (String quieted : List.of("com.zaxxer.hikari.pool.ProxyConnection", "com.zaxxer.hikari.pool.PoolBase",
                    "io.debezium.embedded", "io.debezium.pipeline.ErrorHandler")) {
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(quieted)).setLevel(null);
            }
        }
    }

    @Option(names = "--log-format", paramLabel = "FORMAT", scope = ScopeType.INHERIT,
            description = "Log lines as text (default) or json: one object per line with timestamp, level, job,"
                    + " message and fields.")
    void logFormat(LogFormat format) {
        logFormat = format;
        format.apply();
    }

    private LogFormat logFormat = LogFormat.TEXT;

    /** Loads the config the command line points at; warnings go to stderr here, errors are thrown. */
    LoadedConfig loadConfig() {
        LoadedConfig loaded = ConfigLoader.load(configPath(System.getenv()), System.getenv());
        if (logFormat == LogFormat.JSON) {
            // With JSON logs every line on stderr is JSON, the config's warnings too.
            loaded.warnings().forEach(problem -> LoggerFactory.getLogger(LifeboatCommand.class).warn("{}", problem));
        } else {
            loaded.warnings().stream().map(ConfigProblem::toString).forEach(spec.commandLine().getErr()::println);
        }
        return loaded;
    }

    Path configPath(Map<String, String> environment) {
        if (config != null) {
            return config;
        }
        String fromEnvironment = environment.get("LIFEBOAT_CONFIG");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Path.of(fromEnvironment);
        }
        for (Path candidate : List.of(DEFAULT_CONFIG, SYSTEM_CONFIG)) {
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new ConfigException(List.of(new ConfigProblem(DEFAULT_CONFIG.toString(), 0, "",
                "no config file (give one with -c FILE or LIFEBOAT_CONFIG)", ConfigProblem.Severity.ERROR)));
    }
}
