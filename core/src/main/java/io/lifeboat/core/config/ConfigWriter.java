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
        Map<String, Object> master = connection(config.master());
        config.recovery().masterDataDirectory().ifPresent(dir -> master.put("data_directory", dir.toString()));
        root.put("master", master);
        root.put("standby", connection(config.standby()));
        root.put("replication", replication(config.replication()));
        root.put("archive", archive(config.archive(), config));
        config.snapshots().ifPresent(snapshots -> root.put("snapshots", snapshots(snapshots)));
        root.put("recovery", recovery(config.recovery()));
        Map<String, Object> service = service(config.service());
        service.putAll(service(config.monitor()));
        root.put("service", service);

        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        // Empty lists are shared instances; without this they print as YAML aliases (*id001), which reads as nonsense.
        options.setDereferenceAliases(true);
        return new Yaml(options).dump(root);
    }

    private static Map<String, Object> service(ServiceConfig s) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("timezone", s.timezone().getId());
        block.put("repair", s.repair());
        return block;
    }

    private static Map<String, Object> archive(ArchiveConfig a, LifeboatConfig config) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("chunk_size", a.chunkSize().toString());
        block.put("compression", a.compressionLevel().isPresent() ? "zstd" : "none");
        a.compressionLevel().ifPresent(level -> block.put("compression_level", level));
        block.put("recipients", a.recipients().stream().map(Object::toString).toList());
        a.signingKey().ifPresent(key -> block.put("signing_key", key.toString()));
        a.signingPassphrase().ifPresent(secret -> block.put("signing_passphrase", secret.toString()));
        a.bandwidth().ifPresent(rate -> block.put("bandwidth", rate + "/s"));
        block.put("retention", a.retention().toString());
        block.put("work_directory", a.workDirectory().toString());
        block.put("window", config.service().archiveWindow().toString());
        block.put("targets", a.targets().stream().map(ConfigWriter::target).toList());
        return block;
    }

    private static Map<String, Object> target(ArchiveTarget target) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("name", target.name());
        if (target instanceof ArchiveTarget.Filesystem fs) {
            block.put("type", "filesystem");
            block.put("path", fs.path().toString());
            return block;
        }
        ArchiveTarget.S3 s3 = (ArchiveTarget.S3) target;
        block.put("type", "s3");
        block.put("bucket", s3.bucket());
        block.put("prefix", s3.prefix());
        block.put("region", s3.region());
        s3.endpoint().ifPresent(uri -> block.put("endpoint", uri.toString()));
        block.put("path_style", s3.pathStyle());
        s3.storageClass().ifPresent(value -> block.put("storage_class", value));
        s3.serverSideEncryption().ifPresent(value -> block.put("server_side_encryption", value));
        s3.accessKeyId().ifPresent(value -> block.put("access_key_id", value));
        s3.secretAccessKey().ifPresent(secret -> block.put("secret_access_key", secret.toString()));
        return block;
    }

    private static Map<String, Object> snapshots(SnapshotsConfig s) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("provider", s.provider().configName());
        block.put("volume", s.volume());
        block.put("directory", s.directory().toString());
        s.mount().ifPresent(mount -> block.put("mount", mount.toString()));
        block.put("schedule", s.schedule().toString());
        block.put("lock_timeout", HumanDuration.format(s.lockTimeout()));
        block.put("verify", s.verify());
        block.put("freeze", s.freeze());
        s.lvmSnapshotSize().ifPresent(size -> block.put("lvm_snapshot_size", size.toString()));
        Map<String, Object> commands = new LinkedHashMap<>();
        s.commands().create().ifPresent(c -> commands.put("create", c));
        s.commands().delete().ifPresent(c -> commands.put("delete", c));
        s.commands().cloneTo().ifPresent(c -> commands.put("clone", c));
        if (!commands.isEmpty()) {
            block.put("commands", commands);
        }
        return block;
    }

    private static Map<String, Object> recovery(RecoveryConfig r) {
        Map<String, Object> block = new LinkedHashMap<>();
        r.target().ifPresent(target -> {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("data_directory", target.dataDirectory().toString());
            t.put("port", target.port());
            block.put("target", t);
        });
        r.key().ifPresent(key -> block.put("key", key.toString()));
        r.passphraseFile().ifPresent(file -> block.put("passphrase_file", file.toString()));
        block.put("ladder", r.ladder());
        block.put("prefer", r.prefer().configName());
        r.masterStartCommand().ifPresent(command -> block.put("master_start_command", command));
        r.fenceCommand().ifPresent(command -> block.put("fence_command", command));
        r.switchCommand().ifPresent(command -> block.put("switch_command", command));
        block.put("sequence_gap", r.sequenceGap());
        r.maxDataLoss().ifPresent(d -> block.put("max_data_loss", HumanDuration.format(d)));
        r.rpo().ifPresent(d -> block.put("rpo", HumanDuration.format(d)));
        r.rto().ifPresent(d -> block.put("rto", HumanDuration.format(d)));
        return block;
    }

    private static Map<String, Object> service(MonitorConfig m) {
        Map<String, Object> block = new LinkedHashMap<>();
        m.http().ifPresent(http -> block.put("http", http.text()));
        block.put("http_allow_remote", m.http().map(MonitorConfig.Http::allowRemote).orElse(false));
        Map<String, Object> notify = new LinkedHashMap<>();
        m.alerts().command().ifPresent(command -> notify.put("command", command));
        m.alerts().webhook().ifPresent(uri -> notify.put("webhook", uri.toString()));
        notify.put("repeat", HumanDuration.format(m.alerts().repeat()));
        notify.put("state_file", m.alerts().stateFile().toString());
        notify.put("report_at", m.alerts().reportAt().map(Object::toString).orElse("off"));
        block.put("notify", notify);
        Map<String, Object> thresholds = new LinkedHashMap<>();
        thresholds.put("lag_warning", HumanDuration.format(m.thresholds().lagWarning()));
        thresholds.put("lag_critical", HumanDuration.format(m.thresholds().lagCritical()));
        thresholds.put("snapshot_age", HumanDuration.format(m.thresholds().snapshotAge()));
        thresholds.put("archive_age", HumanDuration.format(m.thresholds().archiveAge()));
        thresholds.put("validation_age", HumanDuration.format(m.thresholds().validationAge()));
        thresholds.put("dry_run_age", HumanDuration.format(m.thresholds().dryRunAge()));
        block.put("thresholds", thresholds);
        return block;
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
