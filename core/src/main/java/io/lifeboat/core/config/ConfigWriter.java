package io.lifeboat.core.config;

import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** Writes the effective config (defaults filled in, secrets masked) as YAML an operator can read and reuse. */
public final class ConfigWriter {
    private ConfigWriter() {
    }

    public static String write(LifeboatConfig config) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("master", connection(config.master()));
        root.put("standby", connection(config.standby()));
        Map<String, Object> archive = new LinkedHashMap<>();
        archive.put("chunk_size", config.archive().chunkSize().toString());
        root.put("archive", archive);

        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(options).dump(root);
    }

    private static Map<String, Object> connection(ConnectionConfig c) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("host", c.host());
        block.put("port", c.port());
        block.put("database", c.database());
        block.put("user", c.user());
        if (c.passwordFile().isPresent()) {
            block.put("password_file", c.passwordFile().get().toString());
        } else {
            c.password().ifPresent(secret -> block.put("password", secret.toString()));
        }
        block.put("sslmode", c.sslmode().configValue());
        block.put("connect_timeout", HumanDuration.format(c.connectTimeout()));
        return block;
    }
}
