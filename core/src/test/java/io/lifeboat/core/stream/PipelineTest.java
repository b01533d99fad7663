package io.lifeboat.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.openpgp.TestKeys;
import io.lifeboat.core.storage.FilesystemTarget;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineTest {
    private static final String BACKUP = "20261122T020000Z";
    private static TestKeys keys;

    @TempDir
    Path root;
    @TempDir
    Path spool;

    @BeforeAll
    static void generateKeys() {
        keys = TestKeys.generate();
    }

    private List<Stage> stages() {
        return List.of(new ZstdStage(3), new OpenPgpStage(List.of(keys.encryptionKey())));
    }

    private List<Decoding> decodings() {
        return List.of(new ZstdDecoding(), new OpenPgpDecryption(keys.secretRing(), TestKeys.PASSPHRASE));
    }

    private List<ChunkEntry> archive(FilesystemTarget target, byte[] data, DataSize chunkSize) throws IOException {
        try (Chunker chunker = new Chunker(target, BACKUP, chunkSize)) {
            try (OutputStream out = Pipeline.wrap(stages(), chunker)) {
                new ByteArrayInputStream(data).transferTo(out);
            }
            return chunker.commit();
        }
    }

    private byte[] restore(FilesystemTarget target, List<ChunkEntry> chunks) throws IOException {
        try (InputStream in = Pipeline.unwrap(List.of("zstd", "openpgp"), decodings(),
                new ChunkedInput(target, chunks, spool))) {
            return in.readAllBytes();
        }
    }

    @Test
    void zstdThenOpenPgpThenChunksRoundTripsToTheOriginalBytes() throws Exception {
        FilesystemTarget target = new FilesystemTarget(root);
        byte[] data = TestData.text(3_000_000, 7);
        List<ChunkEntry> chunks = archive(target, data, DataSize.ofBytes(100_000));

        assertThat(chunks).hasSizeGreaterThan(3);
        assertThat(restore(target, chunks)).isEqualTo(data);
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).as("spooled chunks are deleted once read").isEmpty();
        }
    }

    @Test
    void closingThePipelineFinishesTheFormatsButLeavesTheChunkerOpen() throws Exception {
        FilesystemTarget target = new FilesystemTarget(root);
        try (Chunker chunker = new Chunker(target, BACKUP, DataSize.ofMebibytes(1))) {
            try (OutputStream out = Pipeline.wrap(stages(), chunker)) {
                out.write(TestData.text(1000, 1));
            }
            assertThat(target.list("")).as("nothing is visible before the chunker commits").isEmpty();
            chunker.write(new byte[0]);
            assertThat(chunker.commit()).hasSize(1);
        }
    }

    @Test
    void aCorruptByteInAChunkIsCaughtBeforeDecryption() throws Exception {
        FilesystemTarget target = new FilesystemTarget(root);
        List<ChunkEntry> chunks = archive(target, TestData.text(500_000, 8), DataSize.ofBytes(50_000));
        Path third = root.resolve(BACKUP + "/chunk-00003");
        byte[] stored = Files.readAllBytes(third);
        stored[1234] ^= 0x01;
        Files.write(third, stored);

        assertThatThrownBy(() -> restore(target, chunks))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("chunk " + BACKUP + "/chunk-00003 on fs:" + root + " is corrupt (sha256 mismatch)");
    }

    @Test
    void aShortChunkIsCorruptAndAMissingOneIsNamed() throws Exception {
        FilesystemTarget target = new FilesystemTarget(root);
        List<ChunkEntry> chunks = archive(target, TestData.text(500_000, 9), DataSize.ofBytes(50_000));
        Path second = root.resolve(BACKUP + "/chunk-00002");
        Files.write(second, new byte[10]);
        assertThatThrownBy(() -> restore(target, chunks))
                .hasMessage("chunk " + BACKUP + "/chunk-00002 on fs:" + root + " is corrupt (size 10, expected 50000)");

        target.delete(BACKUP + "/chunk-00002");
        assertThatThrownBy(() -> restore(target, chunks))
                .hasMessage("chunk " + BACKUP + "/chunk-00002 on fs:" + root + " is missing");
    }

    @Test
    void unwrapNamesAStageWithoutDecoding() {
        assertThatThrownBy(() -> Pipeline.unwrap(List.of("zstd", "openpgp"), List.of(new ZstdDecoding()),
                new ByteArrayInputStream(new byte[0])))
                .hasMessage("cannot read backup stage openpgp (no openpgp decoding given)");
    }

    @Test
    void zstdAloneRoundTripsAndDetectsCorruption() throws Exception {
        byte[] data = TestData.text(200_000, 10);
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = new ZstdStage(1, 2).wrap(stored)) {
            out.write(data);
        }
        assertThat(stored.size()).isLessThan(data.length);
        assertThat(new ZstdDecoding().wrap(new ByteArrayInputStream(stored.toByteArray())).readAllBytes()).isEqualTo(data);

        byte[] damaged = stored.toByteArray();
        damaged[damaged.length / 2] ^= 0x40;
        assertThatThrownBy(() -> new ZstdDecoding().wrap(new ByteArrayInputStream(damaged)).readAllBytes())
                .isInstanceOf(LifeboatException.class)
                .hasMessageStartingWith("zstd data is corrupt (");
    }

    @Test
    void zstdStageRefusesLevelZero() {
        assertThatThrownBy(() -> new ZstdStage(0)).hasMessage("zstd level 0 is not between 1 and 22");
    }
}
