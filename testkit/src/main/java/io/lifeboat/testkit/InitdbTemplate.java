package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory {@code initdb} makes, made once per JVM for each kind of cluster and copied for every cluster
 * after it. A test suite starts a few hundred clusters; initdb costs about two seconds of CPU each (ten seconds of
 * wall time on a busy two-core machine), a copy a tenth of that.
 *
 * <p>A copy is what its own initdb would have made: the same files, and a system identifier of its own (in
 * {@code pg_control} and in the long page header of each WAL segment, where PostgreSQL checks it at start), so no
 * two clusters of a test look like the same database system.
 */
final class InitdbTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(InitdbTemplate.class);
    private static final Duration INITDB_WAIT = Duration.ofSeconds(60);
    /** {@code XLogLongPageHeaderData.xlp_sysid}: after the short header's magic, info, timeline, address, length. */
    private static final int WAL_SYSID_OFFSET = 24;
    private static final int PG_CONTROL_SIZE = 8192;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<Kind, Path> MADE = new HashMap<>();

    /** What initdb is told; clusters that differ in it cannot share a template. */
    record Kind(Path binDirectory, List<String> initdbOptions) {
    }

    private InitdbTemplate() {
    }

    /**
     * Fills {@code dataDirectory} (which must not exist) with a fresh cluster of this kind.
     *
     * @param asPostgres the command as the OS user that owns clusters, run in a directory it can enter
     */
    static void copyTo(Path dataDirectory, Kind kind, Function<List<String>, ExternalCommand> asPostgres) {
        Path template = template(kind, asPostgres);
        asPostgres.apply(List.of("cp", "-a", "--", template.toString(), dataDirectory.toString()))
                .timeout(INITDB_WAIT).run();
        giveOwnSystemIdentifier(dataDirectory);
    }

    private static synchronized Path template(Kind kind, Function<List<String>, ExternalCommand> asPostgres) {
        Path made = MADE.get(kind);
        if (made != null) {
            return made;
        }
        long begin = System.nanoTime();
        Path directory;
        try {
            directory = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "lifeboat-initdb-");
            if (OsUser.isRoot()) {
                LocalPostgresCluster.giveToPostgres(directory);
            }
        } catch (IOException e) {
            throw new LifeboatException("cannot create a directory for the initdb template (" + e + ")", e);
        }
        // Never disarmed: the template lives as long as this JVM, and goes with it however it ends.
        Reaper.arm("initdb template " + directory, List.of(List.of("rm", "-rf", "--", directory.toString())));
        Path data = directory.resolve("data");
        List<String> argv = new ArrayList<>(List.of(kind.binDirectory().resolve("initdb").toString(),
                "-D", data.toString()));
        argv.addAll(kind.initdbOptions());
        asPostgres.apply(argv).timeout(INITDB_WAIT).run();
        MADE.put(kind, data);
        LOG.info("initdb template {} in {} ms", data, Duration.ofNanos(System.nanoTime() - begin).toMillis());
        return data;
    }

    /**
     * Replaces the system identifier initdb chose: in {@code global/pg_control}, whose CRC-32C then changes, and in
     * the first page of each WAL segment. Each place must hold the old identifier, else nothing is written.
     */
    private static void giveOwnSystemIdentifier(Path dataDirectory) {
        Path control = dataDirectory.resolve("global").resolve("pg_control");
        try {
            byte[] bytes = Files.readAllBytes(control);
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
            if (bytes.length != PG_CONTROL_SIZE) {
                throw new LifeboatException("unexpected " + control + " (" + bytes.length + " bytes, not "
                        + PG_CONTROL_SIZE + ")");
            }
            long old = buffer.getLong(0);
            int crcOffset = crcOffset(buffer, control);
            List<Path> segments;
            try (Stream<Path> files = Files.list(dataDirectory.resolve("pg_wal"))) {
                segments = files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}")).sorted().toList();
            }
            for (Path segment : segments) {
                if (walSystemIdentifier(segment) != old) {
                    throw new LifeboatException("unexpected WAL page header in " + segment + " (system identifier "
                            + Long.toUnsignedString(walSystemIdentifier(segment)) + ", pg_control has "
                            + Long.toUnsignedString(old) + ")");
                }
            }
            long fresh = newSystemIdentifier();
            buffer.putLong(0, fresh);
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, crcOffset);
            buffer.putInt(crcOffset, (int) crc.getValue());
            for (Path segment : segments) {
                try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                    channel.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(0, fresh),
                            WAL_SYSID_OFFSET);
                }
            }
            // Written in place, so the file keeps its owner and mode.
            Files.write(control, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give " + dataDirectory + " its own system identifier", e);
        }
    }

    /**
     * Where the CRC of {@code ControlFileData} sits: its last field, so the first 4-byte-aligned offset whose CRC of
     * everything before it is stored there. Found rather than hard-coded, as the struct grows between versions.
     */
    private static int crcOffset(ByteBuffer control, Path file) {
        for (int offset = Long.BYTES; offset + Integer.BYTES <= 1024; offset += Integer.BYTES) {
            CRC32C crc = new CRC32C();
            crc.update(control.array(), 0, offset);
            if ((int) crc.getValue() == control.getInt(offset)) {
                return offset;
            }
        }
        throw new LifeboatException("cannot find the CRC in " + file + " (not a pg_control file?)");
    }

    private static long walSystemIdentifier(Path segment) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(WAL_SYSID_OFFSET + Long.BYTES).order(ByteOrder.nativeOrder());
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            while (header.hasRemaining() && channel.read(header) >= 0) {
                // read the whole header
            }
        }
        return header.getLong(WAL_SYSID_OFFSET);
    }

    /** As initdb makes one: seconds and microseconds of now; the low 12 bits random where initdb puts its pid. */
    private static long newSystemIdentifier() {
        Instant now = Instant.now();
        long micros = now.getNano() / 1000;
        return (now.getEpochSecond() << 32) | (micros << 12) | RANDOM.nextInt(1 << 12);
    }
}
