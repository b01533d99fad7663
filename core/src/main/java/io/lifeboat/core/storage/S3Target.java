package io.lifeboat.core.storage;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.error.Retry;
import io.lifeboat.core.error.TransientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in an S3 bucket under a key prefix. Small objects go up in one PutObject; larger ones as a multipart
 * upload of fixed-size parts buffered in memory, several in flight on this target's upload threads while the
 * writer fills the next part, each part retried on its own. An object becomes visible only when the multipart
 * upload is completed; an abort calls {@code abortMultipartUpload}.
 *
 * <p>Failures are classified by status and error code: 403 is access denied, {@code NoSuchBucket} a missing
 * bucket, 5xx, 429, throttling and dropped connections are transient and retried, a refused connection is a
 * wrong endpoint and is not. The SDK's own retries are turned off for clients this class builds, so there is
 * one retry policy and every attempt is logged.
 */
public final class S3Target implements StorageTarget {
    private static final Logger LOG = LoggerFactory.getLogger(S3Target.class);
    private static final int FIRST_BUFFER_BYTES = 64 << 10;

    private final S3Settings settings;
    private final S3Client client;
    private final boolean ownsClient;
    private final String name;
    private final String endpoint;
    private final ExecutorService uploads;

    /** A target with its own client, built from the settings; {@link #close()} closes it. */
    public S3Target(S3Settings settings) {
        this(settings, buildClient(settings), true);
    }

    /** A target on a client the caller owns and closes (its endpoint, credentials and retries apply). */
    public S3Target(S3Settings settings, S3Client client) {
        this(settings, client, false);
    }

    private S3Target(S3Settings settings, S3Client client, boolean ownsClient) {
        this.settings = settings;
        this.client = client;
        this.ownsClient = ownsClient;
        this.name = "s3:" + settings.name();
        this.endpoint = settings.endpoint().map(Object::toString)
                .orElse("https://s3." + settings.region() + ".amazonaws.com");
        AtomicInteger threads = new AtomicInteger();
        this.uploads = Executors.newFixedThreadPool(settings.partsInFlight(), task -> {
            Thread thread = new Thread(task, "s3-upload-" + settings.name() + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    private static S3Client buildClient(S3Settings settings) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .credentialsProvider(credentials(settings))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        settings.endpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) {
        if (settings.accessKeyId().isPresent()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    settings.accessKeyId().get(), settings.secretAccessKey().orElseThrow().reveal()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    @Override
    public String name() {
        return name;
    }

    public S3Settings settings() {
        return settings;
    }

    @Override
    public ObjectOutput create(String key) {
        return new S3Output(Keys.check(key, name));
    }

    @Override
    public InputStream open(String key) {
        return new ObjectDownload(Keys.check(key, name));
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        String objectKey = objectKey(key);
        try {
            HeadObjectResponse head = call("stat " + key + " on " + name, key,
                    () -> client.headObject(r -> r.bucket(settings.bucket()).key(objectKey)));
            return Optional.of(new ObjectInfo(key, head.contentLength(), head.lastModified()));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        List<ObjectInfo> found = new ArrayList<>();
        String what = prefix.isEmpty() ? "objects" : prefix + "*";
        call("list " + what + " on " + name, null, () -> {
            found.clear();
            for (S3Object object : client.listObjectsV2Paginator(
                    r -> r.bucket(settings.bucket()).prefix(settings.prefix() + prefix)).contents()) {
                found.add(new ObjectInfo(object.key().substring(settings.prefix().length()), object.size(),
                        object.lastModified()));
            }
            return null;
        });
        found.sort(Comparator.comparing(ObjectInfo::key));
        return found;
    }

    @Override
    public void delete(String key) {
        String objectKey = objectKey(key);
        call("delete " + key + " on " + name, null,
                () -> client.deleteObject(r -> r.bucket(settings.bucket()).key(objectKey)));
    }

    @Override
    public void close() {
        uploads.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return name;
    }

    private String objectKey(String key) {
        return settings.prefix() + Keys.check(key, name);
    }

    /** Runs one S3 call, retrying transient failures, and turns any failure into a message about {@code action}. */
    private <T> T call(String action, String missingKey, Supplier<T> request) {
        return Retry.on(TransientException.class).attempts(5)
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(10)).within(Duration.ofMinutes(2))
                .run(() -> {
                    try {
                        return request.get();
                    } catch (SdkException e) {
                        throw classify(action, missingKey, e);
                    }
                });
    }

    LifeboatException classify(String action, String missingKey, SdkException e) {
        if (e instanceof AwsServiceException service) {
            int status = service.statusCode();
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            if (status == 403) {
                return new LifeboatException("cannot " + action + " (access denied)",
                        "check the credentials of " + name + " and the bucket policy of " + settings.bucket(), e);
            }
            if ("NoSuchBucket".equals(code)) {
                return new LifeboatException("cannot " + action + " (bucket " + settings.bucket() + " does not exist)",
                        "create the bucket or correct the bucket of " + name, e);
            }
            if (status == 404 && missingKey != null && !"NoSuchUpload".equals(code)) {
                return new ObjectNotFoundException(missingKey, name);
            }
            String answer = status + (code == null ? "" : " " + code);
            if (status >= 500 || status == 429 || service.isThrottlingException()) {
                return new TransientException("cannot " + action + " (s3 answered " + answer + ")", e);
            }
            return new LifeboatException("cannot " + action + " (s3 answered " + answer + ")", e);
        }
        if (causedBy(e, ConnectException.class)) {
            return new LifeboatException("cannot reach s3 endpoint " + endpoint + " (connection refused)",
                    "check the endpoint of " + name + " and that the server is running", e);
        }
        if (causedBy(e, UnknownHostException.class)) {
            return new LifeboatException("cannot reach s3 endpoint " + endpoint + " (unknown host)",
                    "check the endpoint and region of " + name, e);
        }
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException
                || (e instanceof SdkClientException && causedBy(e, IOException.class))) {
            return new TransientException("cannot " + action + " (" + rootMessage(e) + ")", e);
        }
        return new LifeboatException("cannot " + action + " (" + rootMessage(e) + ")", e);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage();
        return text == null ? root.getClass().getSimpleName() : text;
    }

    /**
     * One object being written. Bytes fill a part buffer; a full buffer goes to the upload threads and the writer
     * carries on in a free one. At most {@code partsInFlight + 1} buffers exist, so memory is bounded whatever
     * the object's size, and a writer that outruns the network waits for a buffer to come back.
     */
    private final class S3Output extends ObjectOutput {
        private final String key;
        private final String objectKey;
        private final int partSize = (int) settings.partSize().bytes();
        private final BlockingQueue<byte[]> freeBuffers = new ArrayBlockingQueue<>(settings.partsInFlight() + 1);
        private final List<Future<CompletedPart>> parts = new ArrayList<>();
        private final long begin = System.nanoTime();
        private int allocatedBuffers = 1;
        private byte[] buffer = new byte[Math.min(FIRST_BUFFER_BYTES, partSize)];
        private int filled;
        private long size;
        private String uploadId;
        private boolean closed;

        S3Output(String key) {
            this.key = key;
            this.objectKey = settings.prefix() + key;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            requireOpen();
            while (length > 0) {
                if (filled == buffer.length) {
                    if (buffer.length < partSize) {
                        buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, partSize));
                    } else {
                        sendPart();
                    }
                }
                int n = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                size += n;
                offset += n;
                length -= n;
            }
        }

        private void sendPart() throws IOException {
            throwIfAPartFailed();
            if (uploadId == null) {
                CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder()
                        .bucket(settings.bucket()).key(objectKey);
                settings.storageClass().ifPresent(request::storageClass);
                settings.serverSideEncryption().ifPresent(request::serverSideEncryption);
                uploadId = call("upload " + key + " to " + name, null,
                        () -> client.createMultipartUpload(request.build())).uploadId();
            }
            byte[] full = buffer;
            int length = filled;
            int number = parts.size() + 1;
            parts.add(uploads.submit(() -> {
                try {
                    return uploadPart(number, full, length);
                } finally {
                    freeBuffers.add(full);
                }
            }));
            buffer = nextBuffer();
            filled = 0;
        }

        private byte[] nextBuffer() throws InterruptedIOException {
            byte[] free = freeBuffers.poll();
            if (free != null) {
                return free;
            }
            if (allocatedBuffers < settings.partsInFlight() + 1) {
                allocatedBuffers++;
                return new byte[partSize];
            }
            try {
                return freeBuffers.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while uploading " + key + " to " + name);
            }
        }

        private CompletedPart uploadPart(int number, byte[] bytes, int length) {
            // Retries and checksum passes read the part again; only bytes not sent before count against the limit.
            AtomicLong charged = new AtomicLong();
            ContentStreamProvider content = () -> new ThrottledPart(bytes, length, charged);
            String etag = call("upload part " + number + " of " + key + " to " + name, null,
                    () -> client.uploadPart(r -> r.bucket(settings.bucket()).key(objectKey).uploadId(uploadId)
                                    .partNumber(number).contentLength((long) length),
                            RequestBody.fromContentProvider(content, length, "application/octet-stream"))).eTag();
            LOG.debug("part {} of {} ({} bytes) uploaded to {}", number, key, length, name);
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        }

        private void throwIfAPartFailed() throws IOException {
            for (Future<CompletedPart> part : parts) {
                if (part.isDone()) {
                    partResult(part);
                }
            }
        }

        private CompletedPart partResult(Future<CompletedPart> part) throws IOException {
            try {
                return part.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while uploading " + key + " to " + name);
            }
        }

        @Override
        public void commit() throws IOException {
            requireOpen();
            if (uploadId == null) {
                putWhole();
            } else {
                if (filled > 0) {
                    sendPart();
                }
                List<CompletedPart> done = new ArrayList<>();
                for (Future<CompletedPart> part : parts) {
                    done.add(partResult(part));
                }
                call("upload " + key + " to " + name, null, () -> client.completeMultipartUpload(r -> r
                        .bucket(settings.bucket()).key(objectKey).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(done))));
            }
            closed = true;
            release();
            LOG.debug("{} ({} bytes) committed on {} in {} ms", key, size, name, (System.nanoTime() - begin) / 1_000_000);
        }

        private void putWhole() {
            PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(settings.bucket()).key(objectKey)
                    .contentLength((long) filled);
            settings.storageClass().ifPresent(request::storageClass);
            settings.serverSideEncryption().ifPresent(request::serverSideEncryption);
            byte[] bytes = buffer;
            int length = filled;
            AtomicLong charged = new AtomicLong();
            call("upload " + key + " to " + name, null, () -> client.putObject(request.build(),
                    RequestBody.fromContentProvider(() -> new ThrottledPart(bytes, length, charged), length,
                            "application/octet-stream")));
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (Future<CompletedPart> part : parts) {
                part.cancel(true);
            }
            for (Future<CompletedPart> part : parts) {
                try {
                    part.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException | CancellationException | TimeoutException e) {
                    // Aborting: a part's own failure no longer matters.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (uploadId != null) {
                try {
                    call("abort upload of " + key + " to " + name, null, () -> client.abortMultipartUpload(r -> r
                            .bucket(settings.bucket()).key(objectKey).uploadId(uploadId)));
                } catch (LifeboatException e) {
                    LOG.warn("{}; multipart upload {} may keep its parts until the bucket's lifecycle rule removes them",
                            e.getMessage(), uploadId);
                }
            }
            release();
            LOG.debug("{} on {} aborted after {} bytes", key, name, size);
        }

        private void release() {
            buffer = null;
            freeBuffers.clear();
        }

        private void requireOpen() {
            if (closed) {
                throw new IllegalStateException(key + " on " + name + " is already committed or closed");
            }
        }
    }

    /**
     * One object being read. The first GET is retried like every call; a transfer that breaks later (a reset, a cut
     * connection, a body that ends before its announced length) is resumed by a ranged GET from the first byte not
     * yet read, pinned to the object's ETag, so a replaced object is an error rather than a splice of two. Every
     * break is logged; past {@link #MAX_RESUMES} of them the read fails naming each.
     */
    private final class ObjectDownload extends InputStream {
        private static final int MAX_RESUMES = 5;

        private final String key;
        private final String objectKey;
        private final String etag;
        private final long length;
        private final List<String> breaks = new ArrayList<>();
        private ResponseInputStream<GetObjectResponse> body;
        private long position;

        ObjectDownload(String key) {
            this.key = key;
            this.objectKey = settings.prefix() + key;
            this.body = call("download " + key + " from " + name, key,
                    () -> client.getObject(r -> r.bucket(settings.bucket()).key(objectKey)));
            this.etag = body.response().eTag();
            this.length = body.response().contentLength();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int count) throws IOException {
            if (count == 0) {
                return 0;
            }
            while (position < length) {
                try {
                    int n = body.read(into, offset, (int) Math.min(count, length - position));
                    if (n > 0) {
                        position += n;
                        return n;
                    }
                    resume("the body ended early");
                } catch (IOException | SdkException e) {
                    resume(rootMessage(e));
                }
            }
            return -1;
        }

        private void resume(String cause) throws IOException {
            abortBody();
            breaks.add(cause + " at byte " + position);
            if (breaks.size() > MAX_RESUMES) {
                throw new IOException("download of " + key + " from " + name + " broke " + breaks.size()
                        + " times: " + String.join("; ", breaks));
            }
            LOG.debug("download of {} from {} broke at byte {} of {} ({}); resuming ({} of {})", key, name, position,
                    length, cause, breaks.size(), MAX_RESUMES);
            long from = position;
            body = call("resume download of " + key + " from " + name + " at byte " + from, key,
                    () -> client.getObject(r -> r.bucket(settings.bucket()).key(objectKey).ifMatch(etag)
                            .range("bytes=" + from + "-")));
        }

        @Override
        public void close() {
            if (position < length) {
                abortBody();
            } else {
                try {
                    body.close();
                } catch (IOException e) {
                    LOG.debug("closing the download of {} from {}: {}", key, name, e.getMessage());
                }
            }
        }

        private void abortBody() {
            try {
                // abort(): closing a half-read body would first drain it, to reuse the connection.
                body.abort();
                body.close();
            } catch (IOException | RuntimeException e) {
                LOG.debug("closing the download of {} from {}: {}", key, name, e.getMessage());
            }
        }
    }

    /**
     * One part's bytes, read through the target's bandwidth limit. Not a ByteArrayInputStream: its transferTo
     * and readAllBytes would copy around the limit.
     */
    private final class ThrottledPart extends InputStream {
        private final byte[] bytes;
        private final int length;
        private final AtomicLong charged;
        private int position;
        private int mark;

        ThrottledPart(byte[] bytes, int length, AtomicLong charged) {
            this.bytes = bytes;
            this.length = length;
            this.charged = charged;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int count) throws IOException {
            if (count == 0) {
                return 0;
            }
            if (position >= length) {
                return -1;
            }
            int n = Math.min(Math.min(count, length - position), 64 << 10);
            System.arraycopy(bytes, position, into, offset, n);
            position += n;
            long newlyRead = position - charged.get();
            if (newlyRead > 0) {
                charged.set(position);
                settings.bandwidth().acquire(newlyRead);
            }
            return n;
        }

        @Override
        public int available() {
            return length - position;
        }

        @Override
        public boolean markSupported() {
            return true;
        }

        @Override
        public synchronized void mark(int limit) {
            mark = position;
        }

        @Override
        public synchronized void reset() {
            position = mark;
        }
    }
}
