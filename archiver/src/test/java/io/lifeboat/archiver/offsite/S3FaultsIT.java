package io.lifeboat.archiver.offsite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.Secret;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.error.Retry;
import io.lifeboat.core.error.RetryExhaustedException;
import io.lifeboat.core.storage.ObjectOutput;
import io.lifeboat.core.storage.S3Settings;
import io.lifeboat.core.storage.S3Target;
import io.lifeboat.testkit.FaultyProxy;
import io.lifeboat.testkit.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The S3 target through the test kit's {@link FaultyProxy}: what a flaky network and a busy S3 do to uploads and
 * downloads. Every fault is real on the wire between the AWS SDK and the S3 server.
 */
class S3FaultsIT {
    private static final int MIB = 1 << 20;
    private static S3Server server;
    private static int buckets;

    private FaultyProxy proxy;
    private String bucket;
    private ListAppender<ILoggingEvent> logged;

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

    @BeforeEach
    void proxyAndLog() {
        bucket = "faults-" + ++buckets;
        server.createBucket(bucket);
        proxy = FaultyProxy.start(server.endpoint());
        logged = new ListAppender<>();
        logged.start();
        for (Class<?> source : List.of(Retry.class, S3Target.class)) {
            Logger logger = (Logger) LoggerFactory.getLogger(source);
            logger.setLevel(Level.DEBUG);
            logger.addAppender(logged);
        }
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
        for (Class<?> source : List.of(Retry.class, S3Target.class)) {
            Logger logger = (Logger) LoggerFactory.getLogger(source);
            logger.detachAppender(logged);
            logger.setLevel(null);
        }
    }

    private S3Target throughProxy() {
        return new S3Target(S3Settings.builder("primary", bucket).prefix("lifeboat/").region(server.region())
                .endpoint(proxy.endpoint()).pathStyle().credentials(server.accessKey(), Secret.of(server.secretKey()))
                .partSize(DataSize.ofMebibytes(5)).partsInFlight(3).build());
    }

    private List<String> logLines(String containing) {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(containing))
                .toList();
    }

    @Test
    void partsCutMidwayErrorsAndSlowAnswers_areRetried_andTheObjectIsExactlyWhatWasWritten() throws Exception {
        byte[] data = random(12 * MIB + 100, 1);
        proxy.on("POST", ".*/lifeboat/big\\?uploads.*").times(1).delayResponse(Duration.ofMillis(1500));
        proxy.on("PUT", ".*/lifeboat/big\\?.*partNumber=2.*").times(1).cutRequestAfter(MIB);
        proxy.on("PUT", ".*/lifeboat/big\\?.*partNumber=3.*").times(1).respond(500, "InternalError");
        proxy.on("POST", ".*/lifeboat/big\\?uploadId=.*").times(1).respond(503, "SlowDown");

        try (S3Target target = throughProxy(); ObjectOutput out = target.create("big")) {
            out.write(data);
            out.commit();
        }

        assertThat(sha256(server.client().getObjectAsBytes(b -> b.bucket(bucket).key("lifeboat/big")).asByteArray()))
                .as("the stored object is exactly what was written").isEqualTo(sha256(data));
        assertThat(proxy.log()).filteredOn(line -> line.contains("partNumber=2")).hasSize(2)
                .first().asString().endsWith("cut request after " + MIB);
        assertThat(proxy.log()).filteredOn(line -> line.contains("partNumber=3")).hasSize(2)
                .first().asString().endsWith("answered 500 InternalError");
        // Each failed attempt is reported with what failed and why.
        assertThat(logLines("attempt 1 of 5 failed")).hasSize(3)
                .anyMatch(m -> m.contains("cannot upload part 2 of big to s3:primary ("))
                .anyMatch(m -> m.endsWith("cannot upload part 3 of big to s3:primary (s3 answered 500 InternalError)"))
                .anyMatch(m -> m.endsWith("cannot upload big to s3:primary (s3 answered 503 SlowDown)"));
    }

    @Test
    void aPartThatFailsEveryAttempt_failsTheUploadNamingEachAttempt_andLeavesNoObject() throws Exception {
        proxy.on("PUT", ".*/lifeboat/doomed\\?.*partNumber=2.*").respond(500, "InternalError");

        try (S3Target target = throughProxy()) {
            ObjectOutput out = target.create("doomed");
            out.write(random(11 * MIB, 2));
            assertThatThrownBy(out::commit)
                    .isInstanceOf(RetryExhaustedException.class)
                    .hasMessageStartingWith("cannot upload part 2 of doomed to s3:primary (s3 answered 500 InternalError)"
                            + " (gave up after 5 attempts in ")
                    .satisfies(e -> assertThat(((LifeboatException) e).hint().orElseThrow())
                            .startsWith("attempts: ")
                            .contains("cannot upload part 2 of doomed to s3:primary (s3 answered 500 InternalError); "
                                    .repeat(4)));
            out.close();
            assertThat(target.list("")).as("no object, complete or partial, is visible").isEmpty();
        }
        assertThat(server.client().listMultipartUploads(b -> b.bucket(bucket)).uploads())
                .as("the multipart upload was aborted").isEmpty();
    }

    @Test
    void downloadsCutMidway_resumeFromTheFirstMissingByte() throws Exception {
        byte[] data = random(12 * MIB, 3);
        server.client().putObject(b -> b.bucket(bucket).key("lifeboat/download"), RequestBody.fromBytes(data));
        proxy.on("GET", ".*/lifeboat/download(\\?.*)?").times(2).cutResponseAfter(3 * MIB);

        byte[] read;
        try (S3Target target = throughProxy(); InputStream in = target.open("download")) {
            read = in.readAllBytes();
        }

        assertThat(read.length).isEqualTo(data.length);
        assertThat(sha256(read)).isEqualTo(sha256(data));
        assertThat(proxy.log()).filteredOn(line -> line.startsWith("GET ")).hasSize(3);
        assertThat(logLines("download of download from s3:primary broke at byte ")).hasSize(2);
    }

    @Test
    void aDownloadThatKeepsBreaking_failsNamingEveryBreak() throws Exception {
        server.client().putObject(b -> b.bucket(bucket).key("lifeboat/flaky"), RequestBody.fromBytes(random(4 * MIB, 4)));
        proxy.on("GET", ".*/lifeboat/flaky(\\?.*)?").cutResponseAfter(MIB / 2);

        try (S3Target target = throughProxy(); InputStream in = target.open("flaky")) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
                    .hasMessageMatching("download of flaky from s3:primary broke 6 times: (.+ at byte \\d+; ){5}"
                            + ".+ at byte \\d+");
        }
    }

    @Test
    void aThrottledSlowLink_isSlowButNeverRetried() throws Exception {
        byte[] data = random(6 * MIB, 5);
        proxy.throttle(4L * MIB);
        proxy.on("PUT", ".*").delayResponse(Duration.ofMillis(500));

        try (S3Target target = throughProxy()) {
            try (ObjectOutput out = target.create("slow")) {
                out.write(data);
                out.commit();
            }
            try (InputStream in = target.open("slow")) {
                assertThat(sha256(in.readAllBytes())).isEqualTo(sha256(data));
            }
        }
        assertThat(logLines("failed")).isEmpty();
        assertThat(logLines("broke")).isEmpty();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
