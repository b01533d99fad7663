package io.lifeboat.archiver.offsite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.Secret;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.storage.BandwidthLimit;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.S3Settings;
import io.lifeboat.core.storage.S3Target;
import io.lifeboat.core.storage.StorageTarget;
import io.lifeboat.testkit.S3Server;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

class S3TargetIT extends StorageTargetContract {
    private static S3Server server;
    private static int buckets;

    @BeforeAll
    static void startServer() {
        server = S3Server.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static S3Settings.Builder settings(String bucket) {
        return S3Settings.builder("primary", bucket)
                .prefix("lifeboat/")
                .region(server.region())
                .endpoint(server.endpoint())
                .pathStyle()
                .credentials(server.accessKey(), Secret.of(server.secretKey()))
                .partSize(DataSize.ofMebibytes(5))
                .partsInFlight(3);
    }

    private String bucket;

    @Override
    protected StorageTarget newTarget(BandwidthLimit bandwidth) {
        bucket = "bucket-" + ++buckets;
        server.createBucket(bucket);
        return new S3Target(settings(bucket).bandwidth(bandwidth).build());
    }

    @Override
    protected void assertNothingHalfWrittenRemains() {
        assertThat(server.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
        assertThat(server.client().listObjectsV2(r -> r.bucket(bucket)).contents()).isEmpty();
    }

    @Test
    void keysLiveUnderThePrefix() throws Exception {
        put(target, "b1/manifest.json", new byte[] {1});
        assertThat(server.client().headObject(r -> r.bucket(bucket).key("lifeboat/b1/manifest.json")).contentLength())
                .isEqualTo(1);
    }

    @Test
    void wrongCredentialsAreAccessDenied() {
        newTarget(BandwidthLimit.unlimited()).close();
        try (S3Client wrong = server.clientWith(server.accessKey(), "not-the-secret");
             S3Target denied = new S3Target(settings(bucket).build(), wrong)) {
            assertThatThrownBy(() -> put(denied, "b1/chunk-00001", new byte[10]))
                    .isInstanceOf(LifeboatException.class)
                    .hasMessage("cannot upload b1/chunk-00001 to s3:primary (access denied)");
        }
        try (S3Target denied = new S3Target(settings(bucket)
                .credentials(server.accessKey(), Secret.of("not-the-secret")).build())) {
            assertThatThrownBy(() -> denied.list(""))
                    .hasMessage("cannot list objects on s3:primary (access denied)");
        }
    }

    @Test
    void aMissingBucketIsNamed() {
        try (S3Target missing = new S3Target(settings("no-such-bucket").build())) {
            assertThatThrownBy(() -> put(missing, "b1/chunk-00001", new byte[10]))
                    .isInstanceOf(LifeboatException.class)
                    .hasMessage("cannot upload b1/chunk-00001 to s3:primary (bucket no-such-bucket does not exist)");
        }
    }

    @Test
    void anUnreachableEndpointIsNamed() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI endpoint = URI.create("http://127.0.0.1:" + closedPort);
        try (S3Target unreachable = new S3Target(settings("any").endpoint(endpoint).build())) {
            assertThatThrownBy(() -> put(unreachable, "b1/chunk-00001", new byte[10]))
                    .isInstanceOf(LifeboatException.class)
                    .hasMessage("cannot reach s3 endpoint " + endpoint + " (connection refused)");
        }
    }

    @Test
    void anAbortedMultipartUploadIsAbortedOnTheServer() throws Exception {
        try (ObjectOutput out = target.create("b1/chunk-00001")) {
            out.write(random(17 << 20, 9));
            assertThat(server.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()).hasSize(1);
        }
        assertNothingHalfWrittenRemains();
    }
}
