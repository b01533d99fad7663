package io.lifeboat.testkit;

import java.util.concurrent.CountDownLatch;

/**
 * Runs an {@link S3Server} as its own process for the benchmarks: creates the buckets named as arguments, prints
 * {@code ENDPOINT ACCESS_KEY SECRET_KEY} on one line, and serves until SIGTERM.
 */
public final class S3ServerMain {
    private S3ServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        S3Server server = S3Server.start();
        for (String bucket : args) {
            server.createBucket(bucket);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "s3-server-stop"));
        System.out.println(server.endpoint() + " " + server.accessKey() + " " + server.secretKey());
        System.out.flush();
        stopped.await();
    }
}
