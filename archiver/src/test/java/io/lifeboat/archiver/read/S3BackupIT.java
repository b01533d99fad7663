package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.Secret;
import io.lifeboat.core.storage.S3Settings;
import io.lifeboat.core.storage.S3Target;
import io.lifeboat.testkit.FaultyProxy;
import io.lifeboat.testkit.S3Server;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The round trip through an S3 target: published, listed, verified with and without the key, restored. */
class S3BackupIT {
    private static final BackupId ID = BackupId.parse("20261122T020000Z").orElseThrow();
    private static ArchivedDatabase source;
    private static S3Server server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServers() {
        server = S3Server.start();
        source = ArchivedDatabase.start();
    }

    @AfterAll
    static void stopServers() {
        if (source != null) {
            source.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void backupOnS3_verifiesAndRestoresWithTheSourcesContent() throws Exception {
        server.createBucket("backups");
        try (S3Target target = new S3Target(S3Settings.builder("s3:primary", "backups").prefix("lifeboat/")
                .region(server.region()).endpoint(server.endpoint()).pathStyle()
                .credentials(server.accessKey(), Secret.of(server.secretKey()))
                .partSize(DataSize.ofMebibytes(5)).build())) {
            BackupStore store = new BackupStore(target);
            source.archive(store, ID);
            StoredBackup backup = store.find(Optional.empty());
            assertThat(backup.id()).isEqualTo(ID);
            assertThat(backup.state()).isEqualTo("complete");

            BackupVerifier verifier = new BackupVerifier(store, Clock.systemUTC());
            VerifyReport objects = verifier.verify(backup, Optional.of(source.signing().publicKeyRing()));
            VerifyReport content = verifier.verifyContent(backup, Optional.of(source.signing().publicKeyRing()),
                    source.encryption().secretKeyRing(), source.encryption().passphrase(), dir);
            assertThat(objects.problems()).isEmpty();
            assertThat(content.problems()).isEmpty();
            assertThat(content.contentChecked()).isTrue();
            assertThat(store.find(Optional.empty()).state()).isEqualTo("verified");

            source.cluster().createDatabase("restored");
            RestoreResult result = new BackupRestorer(store).restore(store.find(Optional.empty()),
                    new RestoreDestination.Database("postgresql://postgres@127.0.0.1:" + source.cluster().port()
                            + "/restored"),
                    source.encryption().secretKeyRing(), source.encryption().passphrase(), dir);

            assertThat(result.plaintextBytes()).isEqualTo(backup.manifest().orElseThrow().plaintextSize());
            Map<String, String> expected;
            try (Connection original = source.cluster().connect(ArchivedDatabase.DATABASE)) {
                expected = ArchivedDatabase.contentOf(original);
            }
            try (Connection restored = source.cluster().connect("restored")) {
                assertThat(ArchivedDatabase.contentOf(restored)).isEqualTo(expected);
            }
        }
    }

    private static S3Target target(String bucket, URI endpoint) {
        return new S3Target(S3Settings.builder("primary", bucket).prefix("lifeboat/")
                .region(server.region()).endpoint(endpoint).pathStyle()
                .credentials(server.accessKey(), Secret.of(server.secretKey()))
                .partSize(DataSize.ofMebibytes(5)).build());
    }

    @Test
    void aTargetThatAnswers503OrRefuses_isUnreachable_andTheBackupIsNeverRecordedCorrupt() throws Exception {
        server.createBucket("flaky");
        try (S3Target direct = target("flaky", server.endpoint()); FaultyProxy proxy = FaultyProxy.start(
                server.endpoint()); S3Target viaProxy = target("flaky", proxy.endpoint())) {
            BackupStore store = new BackupStore(direct);
            source.archive(store, ID);
            BackupStore flaky = new BackupStore(viaProxy);
            BackupVerifier verifier = new BackupVerifier(flaky, Clock.systemUTC());
            StoredBackup backup = flaky.find(Optional.empty());

            proxy.on("GET", ".*/chunk-00002(\\?.*)?").respond(503, "SlowDown");
            VerifyReport report = verifier.verify(backup, Optional.of(source.signing().publicKeyRing()));

            assertThat(report.fault()).contains(Fault.UNREACHABLE);
            assertThat(report.problems()).hasSize(1);
            assertThat(report.problems().get(0)).startsWith("cannot read chunk " + ID + "/chunk-00002 on s3:primary"
                    + " (cannot download " + ID + "/chunk-00002 from s3:primary (s3 answered 503 SlowDown)");
            StoredBackup recorded = store.find(Optional.empty());
            assertThat(recorded.state()).isEqualTo("unreachable");
            assertThat(recorded.verification().orElseThrow().problems()).singleElement().asString()
                    .startsWith("unreachable: cannot read chunk ");

            // The same with the key, through decryption: still the target's fault, not the backup's.
            proxy.heal();
            proxy.on("GET", ".*/chunk-00003(\\?.*)?").respond(503, "SlowDown");
            VerifyReport content = verifier.inspectContent(backup, Optional.empty(),
                    source.encryption().secretKeyRing(), source.encryption().passphrase(), dir);
            assertThat(content.fault()).contains(Fault.UNREACHABLE);

            proxy.heal();
            assertThat(verifier.verify(backup, Optional.empty()).ok()).as("healed").isTrue();
            assertThat(store.find(Optional.empty()).state()).isEqualTo("verified");

            // Nobody answers at all: listing fails typed, and a verification records nothing.
            proxy.close();
            assertThatThrownBy(() -> flaky.find(Optional.empty())).isInstanceOf(TargetUnreachableException.class)
                    .hasMessageStartingWith("cannot reach s3 endpoint " + proxy.endpoint());
            VerifyReport refused = verifier.verify(backup, Optional.empty());
            assertThat(refused.fault()).contains(Fault.UNREACHABLE);
            assertThat(store.find(Optional.empty()).state()).isEqualTo("verified");
        }
    }
}
