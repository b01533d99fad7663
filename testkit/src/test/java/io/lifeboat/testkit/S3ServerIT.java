package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

class S3ServerIT {
    private static S3Server server;

    @BeforeAll
    static void start() {
        server = S3Server.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void putGetListDelete_withTheAwsSdk() {
        server.createBucket("basic");
        S3Client s3 = server.client();

        s3.putObject(r -> r.bucket("basic").key("dir/a.txt"), RequestBody.fromString("hello", StandardCharsets.UTF_8));
        s3.putObject(r -> r.bucket("basic").key("dir/b.txt"), RequestBody.fromString("world", StandardCharsets.UTF_8));
        s3.putObject(r -> r.bucket("basic").key("other.txt"), RequestBody.fromString("!", StandardCharsets.UTF_8));

        assertThat(s3.getObjectAsBytes(r -> r.bucket("basic").key("dir/a.txt")).asUtf8String()).isEqualTo("hello");
        assertThat(s3.listObjectsV2(r -> r.bucket("basic").prefix("dir/")).contents())
                .extracting(S3Object::key, S3Object::size)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("dir/a.txt", 5L),
                        org.assertj.core.groups.Tuple.tuple("dir/b.txt", 5L));

        s3.deleteObject(r -> r.bucket("basic").key("dir/a.txt"));

        assertThatThrownBy(() -> s3.getObjectAsBytes(r -> r.bucket("basic").key("dir/a.txt")))
                .isInstanceOf(NoSuchKeyException.class);
        assertThat(s3.listObjectsV2(r -> r.bucket("basic")).contents()).extracting(S3Object::key)
                .containsExactly("dir/b.txt", "other.txt");
    }

    @Test
    void multipartUpload_ofSeveralMebibytes_readsBackIdentical() throws Exception {
        server.createBucket("multipart");
        S3Client s3 = server.client();
        int partSize = 5 << 20;
        byte[] data = new byte[2 * partSize + 1234567];
        new Random(42).nextBytes(data);

        String uploadId = s3.createMultipartUpload(r -> r.bucket("multipart").key("big.bin")).uploadId();
        List<CompletedPart> parts = new ArrayList<>();
        for (int offset = 0, number = 1; offset < data.length; offset += partSize, number++) {
            int length = Math.min(partSize, data.length - offset);
            int partNumber = number;
            String etag = s3.uploadPart(r -> r.bucket("multipart").key("big.bin").uploadId(uploadId)
                            .partNumber(partNumber),
                    RequestBody.fromBytes(java.util.Arrays.copyOfRange(data, offset, offset + length))).eTag();
            parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
        }
        s3.completeMultipartUpload(r -> r.bucket("multipart").key("big.bin").uploadId(uploadId)
                .multipartUpload(m -> m.parts(parts)));

        assertThat(parts).hasSize(3);
        byte[] read = s3.getObjectAsBytes(r -> r.bucket("multipart").key("big.bin")).asByteArray();
        assertThat(read).hasSameSizeAs(data);
        assertThat(sha256(read)).isEqualTo(sha256(data));
        assertThat(s3.headObject(r -> r.bucket("multipart").key("big.bin")).contentLength())
                .isEqualTo(data.length);
    }

    @Test
    void wrongCredentials_areRejectedWith403() {
        server.createBucket("guarded");
        try (S3Client intruder = server.clientWith(server.accessKey(), "not-the-secret")) {
            assertThatThrownBy(() -> intruder.listObjectsV2(r -> r.bucket("guarded")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
            assertThatThrownBy(() -> intruder.putObject(r -> r.bucket("guarded").key("x"), RequestBody.fromString("x")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
        try (S3Client stranger = server.clientWith("AKUNKNOWN", server.secretKey())) {
            assertThatThrownBy(() -> stranger.listObjectsV2(r -> r.bucket("guarded")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
        assertThat(server.client().listObjectsV2(r -> r.bucket("guarded")).contents()).isEmpty();
    }

    @Test
    void eachServer_hasItsOwnCredentials_andCloseStopsItAndRemovesItsFiles() throws IOException {
        S3Server other = S3Server.start();
        Path directory;
        try {
            assertThat(other.endpoint().getHost()).isEqualTo("127.0.0.1");
            assertThat(other.endpoint().getPort()).isNotEqualTo(server.endpoint().getPort());
            assertThat(other.accessKey()).isNotEqualTo(server.accessKey());
            assertThat(other.secretKey()).isNotEqualTo(server.secretKey());
            assertThat(other.region()).isEqualTo("us-east-1");
            other.createBucket("own-bucket");
            other.client().putObject(r -> r.bucket("own-bucket").key("k"), RequestBody.fromString("v"));
            directory = other.directory();
            assertThat(directory.resolve("own-bucket/k")).hasContent("v");
        } finally {
            other.close();
        }
        other.close();

        assertThat(directory).doesNotExist();
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", other.endpoint().getPort()), 1000);
            }
        }).isInstanceOf(IOException.class);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
