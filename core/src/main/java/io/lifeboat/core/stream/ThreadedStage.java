package io.lifeboat.core.stream;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a stage, and everything below it, on a thread of its own, so it works while the writer produces the next
 * bytes: {@code List.of(new ZstdStage(1), new ThreadedStage(new OpenPgpStage(keys)))} compresses on the
 * writer's thread and encrypts (and chunks) on another. The writer hands over filled buffers through a bounded
 * queue, so memory stays at {@code (queued + 2) × bufferSize} and a slow stage slows the writer down rather
 * than piling up bytes. The stage's name is the wrapped stage's: the manifest does not see the thread.
 *
 * <p>A failure below is rethrown to the writer at its next write or at close.
 */
public final class ThreadedStage implements Stage {
    private static final int DEFAULT_BUFFER_BYTES = 1 << 20;
    private static final int DEFAULT_QUEUED = 4;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Stage stage;
    private final int bufferBytes;
    private final int queued;

    public ThreadedStage(Stage stage) {
        this(stage, DEFAULT_BUFFER_BYTES, DEFAULT_QUEUED);
    }

    public ThreadedStage(Stage stage, int bufferBytes, int queued) {
        if (bufferBytes < 1 || queued < 1) {
            throw new IllegalArgumentException("threaded stage needs a positive buffer size and queue length");
        }
        this.stage = stage;
        this.bufferBytes = bufferBytes;
        this.queued = queued;
    }

    @Override
    public String name() {
        return stage.name();
    }

    @Override
    public OutputStream wrap(OutputStream downstream) throws IOException {
        return new HandOff(stage.wrap(downstream));
    }

    private static final class Buffer {
        final byte[] bytes;
        int length;

        Buffer(int size) {
            bytes = new byte[size];
        }
    }

    private final class HandOff extends OutputStream {
        private final Buffer end = new Buffer(0);
        private final BlockingQueue<Buffer> full = new ArrayBlockingQueue<>(queued);
        private final BlockingQueue<Buffer> free = new ArrayBlockingQueue<>(queued + 2);
        private final Thread worker;
        private volatile Throwable failure;
        private boolean failureReported;
        private Buffer current = new Buffer(bufferBytes);
        private int allocated = 1;
        private boolean closed;

        HandOff(OutputStream below) {
            worker = new Thread(() -> drain(below), stage.name() + "-stage-" + THREADS.incrementAndGet());
            worker.setDaemon(true);
            worker.start();
        }

        private void drain(OutputStream below) {
            try (below) {
                while (true) {
                    Buffer buffer = full.take();
                    if (buffer == end) {
                        return;
                    }
                    below.write(buffer.bytes, 0, buffer.length);
                    buffer.length = 0;
                    free.offer(buffer);
                }
            } catch (Throwable e) {
                failure = e;
                full.clear();
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException(stage.name() + " stage is closed");
            }
            while (length > 0) {
                int n = Math.min(length, current.bytes.length - current.length);
                System.arraycopy(bytes, offset, current.bytes, current.length, n);
                current.length += n;
                offset += n;
                length -= n;
                if (current.length == current.bytes.length) {
                    handOver(current);
                    current = nextBuffer();
                }
            }
        }

        private Buffer nextBuffer() throws IOException {
            Buffer buffer = free.poll();
            if (buffer != null) {
                return buffer;
            }
            if (allocated < queued + 2) {
                allocated++;
                return new Buffer(bufferBytes);
            }
            try {
                while ((buffer = free.poll(100, TimeUnit.MILLISECONDS)) == null) {
                    if (failure != null) {
                        rethrowFailure();
                        throw new IOException(stage.name() + " stage failed", failure);
                    }
                }
                return buffer;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while handing bytes to the " + stage.name() + " stage");
            }
        }

        private void handOver(Buffer buffer) throws IOException {
            try {
                while (!full.offer(buffer, 100, TimeUnit.MILLISECONDS)) {
                    if (failure != null) {
                        break;
                    }
                }
                if (failure != null) {
                    rethrowFailure();
                    throw new IOException(stage.name() + " stage failed", failure);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while handing bytes to the " + stage.name() + " stage");
            }
        }

        private void rethrowFailure() throws IOException {
            Throwable e = failure;
            // Thrown once: try-with-resources would otherwise add the same exception to itself as suppressed.
            if (e == null || failureReported) {
                return;
            }
            failureReported = true;
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e instanceof Error error) {
                throw error;
            }
            throw new IOException(e);
        }

        /** Hands over the rest, waits for the stage to finish its format and close the stream below. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (failure == null) {
                    if (current.length > 0) {
                        handOver(current);
                    }
                    handOver(end);
                }
                worker.join();
            } catch (InterruptedException e) {
                worker.interrupt();
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the " + stage.name() + " stage finished");
            } catch (IOException | RuntimeException e) {
                worker.interrupt();
                throw e;
            }
            rethrowFailure();
        }
    }
}
