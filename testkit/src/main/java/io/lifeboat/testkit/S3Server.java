package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 protocol server in this JVM (s3proxy on its {@code filesystem-nio2} store), on a free 127.0.0.1 port with
 * fresh random credentials. Objects live in a temp directory that {@link #close()} removes; a {@link Reaper}
 * removes it if the JVM dies first. {@link #stop()} and {@link #restart()} take it down and bring it back on the
 * same port with the same objects, as an S3 endpoint that goes away for a while does.
 */
public final class S3Server implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3Server.class);
    private static final String REGION = "us-east-1";
    private static final Duration START_WAIT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private S3Proxy proxy;
    private final Path directory;
    private final Reaper reaper;
    private final String accessKey;
    private final String secretKey;
    private final URI endpoint;
    private S3Client client;
    private boolean closed;
    private boolean stopped;

    private S3Server(S3Proxy proxy, Path directory, Reaper reaper, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.directory = directory;
        this.reaper = reaper;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public static S3Server start() {
        long begin = System.nanoTime();
        Path directory;
        try {
            directory = Files.createTempDirectory("lifeboat-s3-");
        } catch (IOException e) {
            throw new LifeboatException("cannot create a directory for the s3 server (" + e + ")", e);
        }
        Reaper reaper = Reaper.arm("s3 server " + directory, List.of(List.of("rm", "-rf", directory.toString())));
        String accessKey = "AK" + randomHex(9).toUpperCase();
        String secretKey = randomHex(20);
        S3Proxy proxy = proxy(directory, 0, accessKey, secretKey);
        try {
            proxy.start();
            awaitStarted(proxy);
        } catch (Exception e) {
            stopQuietly(proxy, e);
            reaper.reap(Duration.ofSeconds(30));
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new LifeboatException("cannot start the s3 server (" + e.getMessage() + ")", e);
        }
        S3Server server = new S3Server(proxy, directory, reaper, accessKey, secretKey);
        LOG.info("s3 server started at {} in {} ms", server.endpoint, (System.nanoTime() - begin) / 1_000_000);
        return server;
    }

    private static S3Proxy proxy(Path directory, int port, String accessKey, String secretKey) {
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", directory.toString());
        return S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem-nio2", properties))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
    }

    /**
     * Stops serving: the port is closed (a client's connect is refused) until {@link #restart()}; the objects stay.
     */
    public synchronized void stop() {
        requireOpen();
        if (stopped) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new LifeboatException("cannot stop the s3 server at " + endpoint + " (" + e.getMessage() + ")", e);
        }
        stopped = true;
        LOG.info("s3 server at {} stopped for now", endpoint);
    }

    /** Serves again after {@link #stop()}: the same port, objects and credentials. */
    public synchronized void restart() {
        requireOpen();
        if (!stopped) {
            return;
        }
        S3Proxy again = proxy(directory, endpoint.getPort(), accessKey, secretKey);
        try {
            again.start();
            awaitStarted(again);
        } catch (Exception e) {
            stopQuietly(again, e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new LifeboatException("cannot start the s3 server at " + endpoint + " again (" + e.getMessage()
                    + ")", e);
        }
        proxy = again;
        stopped = false;
        LOG.info("s3 server at {} serves again", endpoint);
    }

    private static void awaitStarted(S3Proxy proxy) throws InterruptedException {
        long deadline = System.nanoTime() + START_WAIT.toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline || "FAILED".equals(proxy.getState())) {
                throw new LifeboatException("s3proxy is " + proxy.getState() + " after " + START_WAIT.toSeconds() + " s");
            }
            Thread.sleep(10);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String region() {
        return REGION;
    }

    /** Where objects are stored ({@code <directory>/<bucket>/<key>}), for tests that damage a stored object. */
    public Path directory() {
        return directory;
    }

    /** A client for this server, shared by all callers and closed by {@link #close()}; do not close it yourself. */
    public synchronized S3Client client() {
        requireOpen();
        if (client == null) {
            client = clientWith(accessKey, secretKey);
        }
        return client;
    }

    /** A new client that signs with the given credentials (e.g. wrong ones); the caller closes it. */
    public S3Client clientWith(String accessKeyId, String secretAccessKey) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(accessKeyId, secretAccessKey)))
                .build();
    }

    public void createBucket(String bucket) {
        client().createBucket(request -> request.bucket(bucket));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (client != null) {
            client.close();
        }
        if (!stopped) {
            try {
                proxy.stop();
            } catch (Exception e) {
                throw new LifeboatException("cannot stop the s3 server at " + endpoint + " (" + e.getMessage() + ")",
                        e);
            }
        }
        reaper.reap(Duration.ofSeconds(30));
        if (Files.exists(directory)) {
            throw new LifeboatException("cannot remove " + directory + " of the s3 server at " + endpoint);
        }
        closed = true;
        LOG.info("s3 server at {} stopped", endpoint);
    }

    @Override
    public String toString() {
        return "s3 server " + endpoint;
    }

    private void requireOpen() {
        if (closed) {
            throw new LifeboatException("s3 server at " + endpoint + " is closed");
        }
    }

    private static void stopQuietly(S3Proxy proxy, Exception failure) {
        try {
            proxy.stop();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
