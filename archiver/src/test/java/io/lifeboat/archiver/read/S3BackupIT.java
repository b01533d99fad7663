package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.archiver.BackupId;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.Secret;
import io.lifeboat.core.storage.S3Settings;
import io.lifeboat.core.storage.S3Target;
import io.lifeboat.testkit.S3Server;
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
                    source.encryption().secretKeyRing(), source.encryption().passphrase(), dir, null);

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
}
