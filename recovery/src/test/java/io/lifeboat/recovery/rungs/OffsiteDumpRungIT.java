package io.lifeboat.recovery.rungs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.archiver.job.ArchiveJob;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Pools;
import io.lifeboat.core.db.ServerRole;
import io.lifeboat.recovery.Probe;
import io.lifeboat.recovery.RecoveryContext;
import io.lifeboat.recovery.RecoveryOptions;
import io.lifeboat.recovery.State;
import io.lifeboat.recovery.Verification;
import io.lifeboat.testkit.FaultyProxy;
import io.lifeboat.testkit.PgpKeys;
import io.lifeboat.testkit.PostgresCluster;
import io.lifeboat.testkit.S3Server;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offsite-dump rung's check of a real signed backup on an S3 and a filesystem target: the manifest signature is
 * part of it, and a target that cannot be read makes the candidate unavailable, never corrupt.
 */
class OffsiteDumpRungIT {
    @TempDir
    static Path dir;
    static PostgresCluster cluster;
    static S3Server s3;
    static String id;

    @BeforeAll
    static void signedBackupOnTwoTargets() throws Exception {
        cluster = PostgresCluster.builder().setting("fsync", "off").start();
        s3 = S3Server.start();
        s3.createBucket("backups");
        cluster.createDatabase("app");
        cluster.execute("app", "CREATE TABLE notes (id int PRIMARY KEY, body text)");
        // Hashes compress only about twice: a stored backup of several 1 MiB chunks.
        cluster.execute("app", "INSERT INTO notes SELECT g, (SELECT string_agg(md5(random()::text || g || i), '')"
                + " FROM generate_series(1, 40) i) FROM generate_series(1, 4000) g");
        // What the replicator leaves on a standby: the master position the data holds.
        cluster.execute("app", "CREATE SCHEMA lifeboat");
        cluster.execute("app", "CREATE TABLE lifeboat.applied_position (slot_name text PRIMARY KEY, lsn pg_lsn)");
        cluster.execute("app", "INSERT INTO lifeboat.applied_position VALUES ('lifeboat', '0/16B3748')");
        PgpKeys encryption = PgpKeys.generate("Backups <backups@example.invalid>", "p".toCharArray());
        encryption.writeArmoredPublicKey(dir.resolve("backup.pub.asc"));
        encryption.writeArmoredSecretKey(dir.resolve("backup.key.asc"));
        Files.writeString(dir.resolve("backup.pass"), "p\n");
        PgpKeys signing = PgpKeys.generate("Signing <signing@example.invalid>", "s".toCharArray());
        signing.writeArmoredSecretKey(dir.resolve("signing.key.asc"));
        Files.writeString(dir.resolve("signing.pass"), "s\n");
        LifeboatConfig config = config(s3.endpoint());
        try (HikariDataSource standby = Pools.open(ServerRole.STANDBY, config.standby())) {
            id = new ArchiveJob(config.archive(), config.standby(), standby, config.replication().slot(),
                    Clock.systemUTC()).run().manifest().id();
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static LifeboatConfig config(URI s3Endpoint) throws Exception {
        Path file = dir.resolve("lifeboat-" + s3Endpoint.getPort() + ".yml");
        Files.writeString(file, """
                master: {host: 127.0.0.1, port: %1$d, database: postgres, user: postgres, sslmode: disable}
                standby: {host: 127.0.0.1, port: %1$d, database: app, user: postgres, sslmode: disable}
                archive:
                  chunk_size: 1MiB
                  recipients: [backup.pub.asc]
                  signing_key: signing.key.asc
                  signing_passphrase_file: signing.pass
                  targets:
                    - {name: primary, type: s3, bucket: backups, endpoint: %2$s, path_style: true, access_key_id: %3$s,
                       secret_access_key: %4$s}
                    - {name: offsite, type: filesystem, path: %5$s}
                recovery:
                  key: backup.key.asc
                  passphrase_file: backup.pass
                  target: {data_directory: %6$s, port: 5999}
                """.formatted(cluster.port(), s3Endpoint, s3.accessKey(), s3.secretKey(), dir.resolve("offsite"),
                dir.resolve("recovered")));
        return ConfigLoader.load(file).config();
    }

    private static Verification verify(LifeboatConfig config, String candidate) {
        try (RecoveryContext context = new RecoveryContext(config, RecoveryOptions.NONE, Clock.systemUTC(),
                () -> new char[0])) {
            OffsiteDumpRung rung = new OffsiteDumpRung();
            Probe probe = rung.probe(context).stream().filter(p -> p.candidate().equals(candidate)).findFirst()
                    .orElseThrow(() -> new AssertionError("no candidate " + candidate));
            return rung.verify(context, probe);
        }
    }

    @Test
    void theManifestSignatureIsChecked_andAManifestAlteredAfterSigningIsCorrupt() throws Exception {
        LifeboatConfig config = config(s3.endpoint());
        Verification good = verify(config, "fs:offsite/" + id);
        assertThat(good.state()).as(good.reason()).isEqualTo(State.OK);
        assertThat(good.reason()).startsWith("manifest signature, manifest, ");

        Path manifest = dir.resolve("offsite").resolve(id).resolve("manifest.json");
        byte[] original = Files.readAllBytes(manifest);
        try {
            Files.writeString(manifest, new String(original).replace("\"masterLsn\" : \"0/16B3748\"",
                    "\"masterLsn\" : \"0/26B3748\""));
            Verification altered = verify(config, "fs:offsite/" + id);
            assertThat(altered.state()).isEqualTo(State.CORRUPT);
            assertThat(altered.reason()).isEqualTo("manifest fs:offsite:" + id + "/manifest.json: signature does not"
                    + " match (manifest altered)");
        } finally {
            Files.write(manifest, original);
        }
    }

    @Test
    void anS3TargetThatAnswers503_isUnavailableNotCorrupt() throws Exception {
        try (FaultyProxy proxy = FaultyProxy.start(s3.endpoint())) {
            LifeboatConfig config = config(proxy.endpoint());
            proxy.on("GET", ".*/chunk-00001(\\?.*)?").respond(503, "SlowDown");

            Verification flaky = verify(config, "s3:primary/" + id);

            assertThat(flaky.state()).as(flaky.reason()).isEqualTo(State.UNAVAILABLE);
            assertThat(flaky.reason()).startsWith("cannot read chunk " + id + "/chunk-00001 on s3:primary (cannot"
                    + " download " + id + "/chunk-00001 from s3:primary (s3 answered 503 SlowDown)");

            proxy.heal();
            Verification healed = verify(config, "s3:primary/" + id);
            assertThat(healed.state()).as(healed.reason()).isEqualTo(State.OK);
        }
    }
}
