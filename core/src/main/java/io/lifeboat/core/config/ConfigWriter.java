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
        root.put("replication", replication(config.replication()));
        Map<String, Object> archive = new LinkedHashMap<>();
        archive.put("chunk_size", config.archive().chunkSize().toString());
        root.put("archive", archive);

        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(options).dump(root);
    }

    private static Map<String, Object> replication(ReplicationConfig r) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("slot", r.slot());
        block.put("publication", r.publication());
        Map<String, Object> tables = new LinkedHashMap<>();
        tables.put("include", r.include().stream().map(TablePattern::text).toList());
        tables.put("exclude", r.exclude().stream().map(TablePattern::text).toList());
        tables.put("fullcopy", r.fullcopy().stream().map(TablePattern::text).toList());
        block.put("tables", tables);
        block.put("fullcopy_interval", HumanDuration.format(r.fullcopyInterval()));
        Map<String, Object> batch = new LinkedHashMap<>();
        batch.put("max_rows", r.batchMaxRows());
        batch.put("max_delay", HumanDuration.format(r.batchMaxDelay()));
        block.put("batch", batch);
        block.put("retained_wal_warning", r.retainedWalWarning().toString());
        return block;
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
