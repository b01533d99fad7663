package io.lifeboat.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static final String GOOD = """
            master:
              host: 10.0.0.5
              database: app
              user: lifeboat
              password_file: master.pass
            standby:
              host: 10.0.0.6
              port: 5433
              database: app
              user: lifeboat
              password: ${STANDBY_PW}
              sslmode: verify-full
              connect_timeout: 3s
            archive:
              chunk_size: 512MiB
            """;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private Path passwordFile(String content) throws IOException {
        Path file = write("master.pass", content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private List<String> errorsOf(Path file, Map<String, String> env) {
        try {
            ConfigLoader.load(file, env);
        } catch (ConfigException e) {
            return e.problems().stream().map(ConfigProblem::toString).toList();
        }
        throw new AssertionError("expected the config to be rejected");
    }

    @Test
    void goodConfig_loadsWithDefaultsAndSecretsFromFileAndEnvironment() throws IOException {
        passwordFile("s3cret\n");
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD), Map.of("STANDBY_PW", "hunter2"));

        ConnectionConfig master = loaded.config().master();
        assertThat(master.address()).isEqualTo("10.0.0.5:5432");
        assertThat(master.password().orElseThrow().reveal()).isEqualTo("s3cret");
        assertThat(master.sslmode()).isEqualTo(SslMode.PREFER);
        assertThat(master.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        ConnectionConfig standby = loaded.config().standby();
        assertThat(standby.address()).isEqualTo("10.0.0.6:5433");
        assertThat(standby.password().orElseThrow().reveal()).isEqualTo("hunter2");
        assertThat(standby.sslmode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(standby.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(loaded.config().archive().chunkSize()).isEqualTo(DataSize.ofMebibytes(512));
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void threeMistakes_areReportedTogetherWithLineAndKey() throws IOException {
        Path file = write("bad.yml", """
                master:
                  host: 10.0.0.5
                  port: 99999
                  database: app
                  user: lifeboat
                standby:
                  host: 10.0.0.6
                  database: app
                  user: lifeboat
                  sslmode: sometimes
                archive:
                  chunk_size: 6GiB
                """);
        assertThat(errorsOf(file, Map.of())).containsExactly(
                "bad.yml:3: master.port: 99999 is out of range (1 to 65535)",
                "bad.yml:10: standby.sslmode: 'sometimes' is not one of disable, allow, prefer, require, verify-ca, verify-full",
                "bad.yml:12: archive.chunk_size: 6GiB is over the 5 GiB limit");
    }

    @Test
    void missingKeysAndBlocks_areNamed() throws IOException {
        Path file = write("lifeboat.yml", """
                master:
                  host: 10.0.0.5
                  database: app
                """);
        assertThat(errorsOf(file, Map.of())).containsExactly(
                "lifeboat.yml:1: master.user: missing (required)",
                "lifeboat.yml: standby: missing (required block)");
    }

    @Test
    void unknownKey_isAnErrorWithASuggestion() throws IOException {
        Path file = write("lifeboat.yml", GOOD.replace("  sslmode: verify-full", "  ssl_mode: verify-full")
                .replace("archive:", "archiv:"));
        passwordFile("x");
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:12: standby.ssl_mode: unknown key (did you mean sslmode?)",
                "lifeboat.yml:14: archiv: unknown key (did you mean archive?)");
    }

    @Test
    void unknownKeyInServiceBlock_isReportedWithLine() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD + "service:\n  listen: all\n");
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x")))
                .containsExactly("lifeboat.yml:17: service.listen: unknown key");
    }

    @Test
    void serviceKeys_readWithTheirDefaults() throws IOException {
        passwordFile("x");
        ServiceConfig defaults = ConfigLoader.load(write("plain.yml", GOOD), Map.of("STANDBY_PW", "x")).config()
                .service();
        assertThat(defaults).isEqualTo(new ServiceConfig(java.time.ZoneId.systemDefault(), false,
                ArchiveWindow.DEFAULT));
        Path file = write("lifeboat.yml", GOOD + "  window: 22:30-4:00\nservice:\n  timezone: Europe/Berlin\n"
                + "  repair: yes\n");
        ServiceConfig set = ConfigLoader.load(file, Map.of("STANDBY_PW", "x")).config().service();
        assertThat(set.timezone()).isEqualTo(java.time.ZoneId.of("Europe/Berlin"));
        assertThat(set.repair()).isTrue();
        assertThat(set.archiveWindow()).hasToString("22:30-04:00");
        assertThat(ConfigWriter.write(ConfigLoader.load(file, Map.of("STANDBY_PW", "x")).config()))
                .contains("  window: 22:30-04:00\n").contains("service:\n  timezone: Europe/Berlin\n  repair: true\n");
    }

    @Test
    void badServiceKeys_oneLineEachWithFileLineAndKey() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD + "  window: 1am-5am\nservice:\n  timezone: Mars/Olympus\n"
                + "  repair: maybe\n  cron: x\n");
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:16: archive.window: '1am-5am' is not a window (write it like 01:00-05:00, in the local"
                        + " time of service.timezone)",
                "lifeboat.yml:18: service.timezone: 'Mars/Olympus' is not a time zone (write a name like"
                        + " Europe/Berlin, or UTC)",
                "lifeboat.yml:19: service.repair: 'maybe' is not true or false",
                "lifeboat.yml:20: service.cron: unknown key");
        Path empty = write("empty.yml", GOOD + "  window: 03:00-3:00\n");
        assertThat(errorsOf(empty, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:16: archive.window: '03:00-3:00' is empty: it starts where it ends".replace(
                        "lifeboat.yml", "empty.yml"));
        Path hour = write("hour.yml", GOOD + "  window: 25:00-03:00\n");
        assertThat(errorsOf(hour, Map.of("STANDBY_PW", "x"))).containsExactly(
                "hour.yml:16: archive.window: '25:00-03:00': 25:00 is not a time of day (00:00 to 23:59)");
    }

    @Test
    void recoveryBlock_readsEveryKeyWithItsDefaults() throws IOException {
        passwordFile("x");
        LoadedConfig plain = ConfigLoader.load(write("plain.yml", GOOD), Map.of("STANDBY_PW", "x"));
        RecoveryConfig defaults = plain.config().recovery();
        assertThat(defaults.ladder()).containsExactly("restart-master", "master-volume-snapshot", "promote-standby",
                "latest-snapshot", "older-snapshots", "offsite-dump");
        assertThat(defaults.prefer()).isEqualTo(RecoveryConfig.Prefer.FIRST_HEALTHY);
        assertThat(defaults.sequenceGap()).isEqualTo(1000);
        assertThat(defaults.target()).isEmpty();
        assertThat(defaults.masterDataDirectory()).isEmpty();

        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD.replace("  user: lifeboat\n  password_file",
                "  user: lifeboat\n  data_directory: /srv/pg/data\n  password_file") + """
                recovery:
                  target: {data_directory: /srv/recovered, port: 5444}
                  key: backup.key.asc
                  passphrase_file: backup.pass
                  ladder: [promote-standby, offsite-dump]
                  prefer: least-data-loss
                  master_start_command: systemctl start postgresql@15-main
                  fence_command: "ssh {host} 'systemctl stop postgresql'"
                  switch_command: /usr/local/bin/switch {host} {port} {database} {rung}
                  sequence_gap: 5000
                  max_data_loss: 5m
                  rpo: 1m
                  rto: 15m
                """), Map.of("STANDBY_PW", "x"));
        RecoveryConfig recovery = loaded.config().recovery();
        assertThat(recovery.masterDataDirectory()).contains(Path.of("/srv/pg/data"));
        assertThat(recovery.target()).contains(new RecoveryConfig.Target(Path.of("/srv/recovered"), 5444));
        assertThat(recovery.key()).contains(dir.resolve("backup.key.asc"));
        assertThat(recovery.passphraseFile()).contains(dir.resolve("backup.pass"));
        assertThat(recovery.ladder()).containsExactly("promote-standby", "offsite-dump");
        assertThat(recovery.prefer()).isEqualTo(RecoveryConfig.Prefer.LEAST_DATA_LOSS);
        assertThat(recovery.masterStartCommand()).contains("systemctl start postgresql@15-main");
        assertThat(recovery.fenceCommand()).contains("ssh {host} 'systemctl stop postgresql'");
        assertThat(recovery.switchCommand()).contains("/usr/local/bin/switch {host} {port} {database} {rung}");
        assertThat(recovery.sequenceGap()).isEqualTo(5000);
        assertThat(recovery.maxDataLoss()).contains(Duration.ofMinutes(5));
        assertThat(recovery.rpo()).contains(Duration.ofMinutes(1));
        assertThat(recovery.rto()).contains(Duration.ofMinutes(15));

        String effective = ConfigWriter.write(loaded.config());
        LoadedConfig again = ConfigLoader.load(write("again.yml", effective), Map.of("STANDBY_PW", "x"));
        assertThat(again.config().recovery()).isEqualTo(recovery);
    }

    @Test
    void recoveryBlock_badValues_areEachOneLineWithKeyAndLine() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("  user: lifeboat\n  password_file",
                "  user: lifeboat\n  data_directory: pg/data\n  password_file") + """
                recovery:
                  target: {port: 99999}
                  ladder: [restart-master, promote-standbye, restart-master]
                  prefer: newest
                  fence_command: 'ssh "{host}'
                  sequence_gap: 0
                  max_data_loss: soon
                  rtoo: 1m
                """);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:5: master.data_directory: must be an absolute path",
                "lifeboat.yml:18: recovery.target.data_directory: missing (required)",
                "lifeboat.yml:18: recovery.target.port: 99999 is out of range (1 to 65535)",
                "lifeboat.yml:19: recovery.ladder: 'promote-standbye' is not a rung (restart-master,"
                        + " master-volume-snapshot, promote-standby, latest-snapshot, older-snapshots, offsite-dump)",
                "lifeboat.yml:19: recovery.ladder: 'restart-master' is listed twice",
                "lifeboat.yml:20: recovery.prefer: 'newest' is not first-healthy or least-data-loss",
                "lifeboat.yml:21: recovery.fence_command: has an unclosed quote",
                "lifeboat.yml:22: recovery.sequence_gap: 0 is out of range (1 to 2147483647)",
                "lifeboat.yml:23: recovery.max_data_loss: 'soon' is not a duration (write it like 30s, 15m, 1h30m or 7d;"
                        + " units ms, s, m, h, d, w)",
                "lifeboat.yml:24: recovery.rtoo: unknown key (did you mean rto?)");
    }

    @Test
    void archiveBlock_readsTargetsKeysAndSchedule() throws IOException {
        passwordFile("x");
        Files.writeString(dir.resolve("s3.secret"), "topsecret\n");
        Files.setPosixFilePermissions(dir.resolve("s3.secret"), PosixFilePermissions.fromString("rw-------"));
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD.replace("  chunk_size: 512MiB\n", """
                  chunk_size: 512MiB
                  compression_level: 5
                  recipients: [backup.pub.asc]
                  bandwidth: 50MiB/s
                  retention: 1d,7d/90d
                  targets:
                    - name: primary
                      type: s3
                      bucket: backups
                      prefix: lifeboat/
                      endpoint: http://127.0.0.1:9000
                      path_style: true
                      access_key_id: AKIA1
                      secret_access_key_file: s3.secret
                    - name: offsite
                      type: filesystem
                      path: /mnt/offsite
                """)), Map.of("STANDBY_PW", "x"));
        ArchiveConfig archive = loaded.config().archive();
        assertThat(archive.compressionLevel()).hasValue(5);
        assertThat(archive.recipients()).containsExactly(dir.resolve("backup.pub.asc"));
        assertThat(archive.bandwidth()).contains(DataSize.ofMebibytes(50));
        assertThat(archive.retention().toString()).isEqualTo("1d,7d/90d");
        assertThat(archive.targets()).extracting(ArchiveTarget::name).containsExactly("primary", "offsite");
        ArchiveTarget.S3 s3 = (ArchiveTarget.S3) archive.targets().get(0);
        assertThat(s3.pathStyle()).isTrue();
        assertThat(s3.secretAccessKey().orElseThrow().reveal()).isEqualTo("topsecret");
        assertThat(s3.secretAccessKey().orElseThrow().toString()).isEqualTo("***");
        assertThat(archive.target("offsite")).contains(new ArchiveTarget.Filesystem("offsite", Path.of("/mnt/offsite")));

        String effective = ConfigWriter.write(loaded.config());
        assertThat(effective).contains("compression_level: 5", "bandwidth: 50MiB/s", "retention: 1d,7d/90d",
                "secret_access_key: '***'", "type: filesystem", "path: /mnt/offsite").doesNotContain("topsecret");
        Path rewritten = write("effective.yml", effective.replace("'***'", "${S3_SECRET}")
                .replace("password: '***'", "password: ${STANDBY_PW}"));
        LoadedConfig again = ConfigLoader.load(rewritten, Map.of("STANDBY_PW", "x", "S3_SECRET", "topsecret"));
        assertThat(again.config().archive().targets()).hasToString(archive.targets().toString());
        assertThat(((ArchiveTarget.S3) again.config().archive().targets().get(0)).secretAccessKey().orElseThrow()
                .reveal()).isEqualTo("topsecret");
        assertThat(again.config().archive().retention()).isEqualTo(archive.retention());
    }

    @Test
    void archiveBlock_reportsBadTargets() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("  chunk_size: 512MiB\n", """
                  compression: lz4
                  format: directory
                  bandwidth: 50MiB
                  targets:
                    - name: primary
                      type: ftp
                    - name: primary
                      type: filesystem
                      path: relative
                """));
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:15: archive.compression: 'lz4' is not zstd or none",
                "lifeboat.yml:16: archive.format: 'directory' is not supported: only custom can be streamed without"
                        + " writing the whole dump to local disk",
                "lifeboat.yml:17: archive.bandwidth: '50MiB' is not a rate (write e.g. 50MiB/s)",
                "lifeboat.yml:20: archive.targets[0].type: 'ftp' is not a target type (s3 or filesystem)",
                "lifeboat.yml:23: archive.targets[1].path: must be an absolute path");
    }

    @Test
    void snapshotsBlock_readsProviderScheduleAndDefaults() throws IOException {
        passwordFile("x");
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD + """
                snapshots:
                  provider: btrfs
                  volume: /srv/pg
                  directory: /srv/snapshots
                  schedule: 5m,15m,1h,2h,4h,8h,1d/7d
                """), Map.of("STANDBY_PW", "x"));
        SnapshotsConfig snapshots = loaded.config().snapshots().orElseThrow();
        assertThat(snapshots.provider()).isEqualTo(SnapshotsConfig.Kind.BTRFS);
        assertThat(snapshots.directory()).isEqualTo(Path.of("/srv/snapshots"));
        assertThat(snapshots.schedule().interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(snapshots.lockTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(snapshots.verify()).isTrue();
        assertThat(snapshots.freeze()).isFalse();
    }

    @Test
    void snapshotsBlock_reportsEveryMistake() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD + """
                snapshots:
                  provider: btrfz
                  directory: relative/dir
                  schedule: 1h,90m/7d
                  lock_timeout: 1s
                """);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:16: snapshots.volume: missing (required)",
                "lifeboat.yml:17: snapshots.provider: 'btrfz' is not a provider (btrfs, lvm, zfs, copy or command)",
                "lifeboat.yml:18: snapshots.directory: must be an absolute path",
                "lifeboat.yml:19: snapshots.schedule: '1h,90m/7d': 90m is not a multiple of 1h; each spacing must be"
                        + " a multiple of the one before",
                "lifeboat.yml:20: snapshots.lock_timeout: 1s is out of range (2s to 24h)");
    }

    @Test
    void mistakesAUserMade_eachSayWhatIsWrongAndComeInTheFilesOrder() throws IOException {
        passwordFile("x");
        Files.writeString(dir.resolve("backup.key.asc"), "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcLY\n");
        Path file = write("lifeboat.yml", GOOD.replace("  chunk_size: 512MiB\n", """
                  chunk_size: 512MiB
                  recipients: [backup.key.asc]
                  targets:
                    - name: primary
                      type: s3
                      bucket: backups
                      secret_access_key: ${S3_SECRET}
                    - name: primary
                      type: filesystem
                      path: /mnt/offsite
                """) + """
                snapshots:
                  provider: btrfs
                  volume: /srv/pg
                  directory: /srv/snapshots
                  schedule: "1d,1h"
                  lock_timeout: 0
                """);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x", "S3_SECRET", "s"))).containsExactly(
                "lifeboat.yml:16: archive.recipients: " + dir.resolve("backup.key.asc") + " is a secret key: give the"
                        + " public key (gpg --export --armor KEY > FILE); the server needs no secret key",
                "lifeboat.yml:18: archive.targets[0].access_key_id: missing (set both keys, or neither to use the AWS"
                        + " default credentials)",
                "lifeboat.yml:22: archive.targets[1].name: 'primary' names two targets",
                "lifeboat.yml:29: snapshots.schedule: '1d,1h': the spacings must grow from the smallest to the largest,"
                        + " but 1h follows 1d (like 1h,1d/7d)",
                "lifeboat.yml:30: snapshots.lock_timeout: 0s is out of range (2s to 24h)");
    }

    @Test
    void anUnquotedVariableInsideBraces_isNamedWithTheQuotingThatFixesIt() throws IOException {
        Path file = write("flow.yml", """
                master: {host: ${MASTER_HOST}, database: app, user: lifeboat}
                standby: {host: 10.0.0.6, database: app, user: lifeboat}
                """);
        assertThat(errorsOf(file, Map.of("MASTER_HOST", "10.0.0.5"))).containsExactly(
                "flow.yml:1: not valid YAML: expected ',' or '}', but got { (inside { } or [ ] quote the value:"
                        + " \"${MASTER_HOST}\")");
    }

    @Test
    void snapshotsBlock_refusesToFreezeAnAtomicProvider() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD + """
                snapshots:
                  provider: btrfs
                  volume: /srv/pg
                  directory: /srv/snapshots
                  mount: /srv
                  freeze: true
                """);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:21: snapshots.freeze: btrfs snapshots are atomic; freezing would make them hang");
    }

    @Test
    void replicationBlock_readsPatternsAndRejectsBadNames() throws IOException {
        passwordFile("x");
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD + """
                replication:
                  slot: lb_slot
                  tables:
                    include: [public.*, sales.orders]
                    exclude: public.tmp_*
                    fullcopy: ["lookup_?"]
                  fullcopy_interval: 5m
                  batch: {max_rows: 500, max_delay: 50ms}
                """), Map.of("STANDBY_PW", "x"));
        ReplicationConfig r = loaded.config().replication();
        assertThat(r.slot()).isEqualTo("lb_slot");
        assertThat(r.publication()).isEqualTo("lifeboat");
        assertThat(r.included("public", "accounts")).isTrue();
        assertThat(r.included("public", "tmp_x")).isFalse();
        assertThat(r.included("sales", "orders")).isTrue();
        assertThat(r.included("sales", "refunds")).isFalse();
        assertThat(r.forcedFullcopy("public", "lookup_a")).isTrue();
        assertThat(r.forcedFullcopy("public", "lookup_ab")).isFalse();
        assertThat(r.fullcopyInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(r.batchMaxRows()).isEqualTo(500);

        Path bad = write("bad.yml", GOOD + """
                replication:
                  slot: Bad-Slot
                  tables:
                    include: [public.orders;drop]
                  batch: {max_rows: 0}
                """);
        assertThat(errorsOf(bad, Map.of("STANDBY_PW", "x"))).containsExactly(
                "bad.yml:17: replication.slot: 'Bad-Slot' is not valid (a slot name is 1 to 63 of a-z, 0-9 and _)",
                "bad.yml:19: replication.tables.include: 'public.orders;drop' is not a table pattern (write it like"
                        + " public.orders, sales.*, or *.audit_?)",
                "bad.yml:20: replication.batch.max_rows: 0 is out of range (1 to 1000000)");
    }

    @Test
    void unsetEnvironmentVariable_isNamed() throws IOException {
        passwordFile("x");
        assertThat(errorsOf(write("lifeboat.yml", GOOD), Map.of()))
                .containsExactly("lifeboat.yml:11: standby.password: environment variable STANDBY_PW is not set");
    }

    @Test
    void environmentDefaultAndEscapedDollar_areApplied() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("${STANDBY_PW}", "${STANDBY_PW:-pa$$word}")
                .replace("host: 10.0.0.6", "host: ${STANDBY_HOST}"));
        LoadedConfig loaded = ConfigLoader.load(file, Map.of("STANDBY_HOST", "db2.internal"));
        assertThat(loaded.config().standby().host()).isEqualTo("db2.internal");
        assertThat(loaded.config().standby().password().orElseThrow().reveal()).isEqualTo("pa$word");
    }

    @Test
    void passwordFile_missingEmptyOrCombinedWithPassword_isAnError() throws IOException {
        Path file = write("lifeboat.yml", GOOD);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x")))
                .containsExactly("lifeboat.yml:5: master.password_file: cannot read " + dir.resolve("master.pass")
                        + " (no such file)");

        passwordFile("  \n");
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x")))
                .containsExactly("lifeboat.yml:5: master.password_file: " + dir.resolve("master.pass") + " is empty");

        passwordFile("x");
        Path both = write("both.yml", GOOD.replace("  password_file: master.pass",
                "  password: ${X:-y}\n  password_file: master.pass"));
        assertThat(errorsOf(both, Map.of("STANDBY_PW", "x"))).containsExactly(
                "both.yml:6: master.password_file: set either password or password_file, not both");
    }

    @Test
    void plaintextPasswordAndWorldReadablePasswordFile_areWarnings() throws IOException {
        Path pass = passwordFile("x");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-r--r--"));
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD.replace("${STANDBY_PW}", "hunter2")),
                Map.of());
        assertThat(loaded.warnings()).map(ConfigProblem::toString).containsExactly(
                "lifeboat.yml:5: warning: master.password_file: " + pass + " can be read by other users (chmod 600 it)",
                "lifeboat.yml:11: warning: standby.password: written in the config file itself;"
                        + " prefer password_file or ${ENV_VAR}");
    }

    @Test
    void standbyPointingAtTheMaster_isRejected() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("10.0.0.6", "10.0.0.5").replace("port: 5433", "port: 5432"));
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x")))
                .containsExactly("lifeboat.yml:6: standby: is the same database as master (10.0.0.5:5432/app)");
    }

    @Test
    void unixSocketDirectoryAsHost_isRejectedWithTheFix() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("10.0.0.5", "/var/run/postgresql"));
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly("lifeboat.yml:2: master.host:"
                + " '/var/run/postgresql' is a Unix socket directory; Lifeboat connects over TCP: give a host name"
                + " or address (e.g. 127.0.0.1 and listen_addresses to match)");
    }

    @Test
    void duplicateKey_isReportedWithBothLines() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD.replace("  port: 5433\n", "  port: 5433\n  port: 5434\n"));
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x")))
                .containsExactly("lifeboat.yml:9: standby.port: duplicate key (first set at line 8)");
    }

    @Test
    void invalidYamlEmptyAndMissingFiles_giveOneLine() throws IOException {
        assertThat(errorsOf(write("syntax.yml", "master:\n  host: a\n   port: 1\n"), Map.of()))
                .containsExactly("syntax.yml:3: not valid YAML: mapping values are not allowed here");
        assertThat(errorsOf(write("empty.yml", "# nothing\n"), Map.of()))
                .containsExactly("empty.yml: the file is empty");
        assertThat(errorsOf(dir.resolve("absent.yml"), Map.of()))
                .containsExactly("absent.yml: cannot read the config file (no such file)");
        assertThat(errorsOf(write("list.yml", "- a\n- b\n"), Map.of()))
                .contains("list.yml:1: expected a block of keys, found a single value");
    }

    @Test
    void chunkSizeAtTheLimitOrTooSmall_isRejected() throws IOException {
        passwordFile("x");
        assertThat(errorsOf(write("a.yml", GOOD.replace("512MiB", "5GiB")), Map.of("STANDBY_PW", "x")))
                .containsExactly("a.yml:15: archive.chunk_size: 5GiB is at the 5 GiB limit; chunks must stay below it");
        assertThat(errorsOf(write("b.yml", GOOD.replace("512MiB", "4KiB")), Map.of("STANDBY_PW", "x")))
                .containsExactly("b.yml:15: archive.chunk_size: 4KiB is under the 1 MiB minimum");
        assertThat(errorsOf(write("c.yml", GOOD.replace("512MiB", "lots")), Map.of("STANDBY_PW", "x")))
                .containsExactly("c.yml:15: archive.chunk_size: 'lots' is not a size (write it like 512MiB, 4GiB or 5GB)");
    }

    @Test
    void secrets_neverAppearInTheEffectiveConfigOrInExceptionMessages() throws IOException {
        passwordFile("s3cret");
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD), Map.of("STANDBY_PW", "hunter2"));
        String effective = ConfigWriter.write(loaded.config());
        assertThat(effective).doesNotContain("s3cret", "hunter2")
                .contains("password_file: " + dir.resolve("master.pass"))
                .contains("password: '***'")
                .contains("chunk_size: 512MiB");
        assertThat(loaded.config().standby().toString()).doesNotContain("hunter2");

        Path bad = write("bad.yml", GOOD.replace("port: 5433", "port: x"));
        assertThat(String.join("\n", errorsOf(bad, Map.of("STANDBY_PW", "hunter2")))).doesNotContain("hunter2");
    }

    @Test
    void effectiveConfig_loadsBackToTheSameConfig() throws IOException {
        passwordFile("s3cret");
        LoadedConfig loaded = ConfigLoader.load(write("lifeboat.yml", GOOD.replace("${STANDBY_PW}", "${STANDBY_PW}")),
                Map.of("STANDBY_PW", "hunter2"));
        String effective = ConfigWriter.write(loaded.config()).replace("'***'", "${STANDBY_PW}");
        LoadedConfig again = ConfigLoader.load(write("again.yml", effective), Map.of("STANDBY_PW", "hunter2"));
        assertThat(again.config().master()).usingRecursiveComparison().ignoringFieldsOfTypes(Secret.class)
                .isEqualTo(loaded.config().master());
        assertThat(again.config().archive()).isEqualTo(loaded.config().archive());
    }

    @Test
    void serviceBlock_readsHttpNotifyAndThresholdsWithDefaults() throws IOException {
        passwordFile("x");
        MonitorConfig defaults = ConfigLoader.load(write("plain.yml", GOOD), Map.of("STANDBY_PW", "x")).config()
                .monitor();
        assertThat(defaults.http()).isEmpty();
        assertThat(defaults.alerts().enabled()).isFalse();
        assertThat(defaults.alerts().repeat()).isEqualTo(Duration.ofHours(6));
        assertThat(defaults.thresholds().lagWarning()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.thresholds().lagCritical()).isEqualTo(Duration.ofMinutes(5));

        LoadedConfig loaded = ConfigLoader.load(write("service.yml", GOOD + """
                service:
                  http: 127.0.0.1
                  notify:
                    command: mail -s lifeboat ops@example.com
                    webhook: http://127.0.0.1:9093/api/v2/alerts
                    repeat: 1h
                    state_file: state/alerts.json
                    report_at: "06:30"
                  thresholds:
                    lag_warning: 10s
                    lag_critical: 1m
                """), Map.of("STANDBY_PW", "x"));
        MonitorConfig monitor = loaded.config().monitor();
        assertThat(monitor.http().orElseThrow().text()).isEqualTo("127.0.0.1:" + MonitorConfig.DEFAULT_HTTP_PORT);
        assertThat(monitor.alerts().command()).contains("mail -s lifeboat ops@example.com");
        assertThat(monitor.alerts().webhook().orElseThrow().getPort()).isEqualTo(9093);
        assertThat(monitor.alerts().repeat()).isEqualTo(Duration.ofHours(1));
        assertThat(monitor.alerts().stateFile()).isEqualTo(dir.resolve("state/alerts.json"));
        assertThat(monitor.alerts().reportAt()).contains(java.time.LocalTime.of(6, 30));
        assertThat(monitor.thresholds().lagCritical()).isEqualTo(Duration.ofMinutes(1));
        assertThat(loaded.warnings()).isEmpty();
        LoadedConfig again = ConfigLoader.load(write("again.yml", ConfigWriter.write(loaded.config())),
                Map.of("STANDBY_PW", "x"));
        assertThat(again.config().monitor()).isEqualTo(monitor);
    }

    @Test
    void serviceBlock_refusesARemoteAddressUnlessAllowedAndReportsEachBadKey() throws IOException {
        passwordFile("x");
        Path file = write("lifeboat.yml", GOOD + """
                service:
                  http: 0.0.0.0:9999
                  notify:
                    webhook: ftp://example.com/x
                    repeat: soon
                  thresholds:
                    lag_warning: 5m
                    lag_critical: 1m
                """);
        assertThat(errorsOf(file, Map.of("STANDBY_PW", "x"))).containsExactly(
                "lifeboat.yml:17: service.http: 0.0.0.0 is not a loopback address (metrics and status would be open"
                        + " to the network); set service.http_allow_remote: true to serve there",
                "lifeboat.yml:19: service.notify.webhook: 'ftp://example.com/x' is not an http:// or https:// URL",
                "lifeboat.yml:20: service.notify.repeat: 'soon' is not a duration (write it like 30s, 15m, 1h30m or"
                        + " 7d; units ms, s, m, h, d, w)",
                "lifeboat.yml:23: service.thresholds.lag_critical: is shorter than lag_warning (5m)");

        Path allowed = write("allowed.yml", GOOD + "service:\n  http: 0.0.0.0:9999\n  http_allow_remote: true\n");
        assertThat(ConfigLoader.load(allowed, Map.of("STANDBY_PW", "x")).config().monitor().http().orElseThrow()
                .text()).isEqualTo("0.0.0.0:9999");
    }
}
