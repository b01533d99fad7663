package io.lifeboat.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.core.storage.ObjectInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkerTest {
    private static final String BACKUP = "20261122T020000Z";

    @TempDir
    Path root;

    private List<ChunkEntry> store(byte[] data, int chunkSize, int writeSize) throws IOException {
        FilesystemTarget target = new FilesystemTarget(root);
        try (Chunker chunker = new Chunker(target, BACKUP, DataSize.ofBytes(chunkSize))) {
            for (int i = 0; i < data.length; i += writeSize) {
                chunker.write(data, i, Math.min(writeSize, data.length - i));
            }
            return chunker.commit();
        }
    }

    @Test
    void anExactMultipleMakesFullChunksAndNoEmptyOne() throws Exception {
        byte[] data = TestData.text(3000, 1);
        List<ChunkEntry> chunks = store(data, 1000, 333);

        assertThat(chunks).extracting(ChunkEntry::key)
                .containsExactly(BACKUP + "/chunk-00001", BACKUP + "/chunk-00002", BACKUP + "/chunk-00003");
        assertThat(chunks).extracting(ChunkEntry::size).containsOnly(1000L);
        for (int i = 0; i < 3; i++) {
            byte[] stored = Files.readAllBytes(root.resolve(chunks.get(i).key()));
            assertThat(stored).isEqualTo(Arrays.copyOfRange(data, i * 1000, i * 1000 + 1000));
            assertThat(chunks.get(i).sha256()).isEqualTo(sha256(stored));
        }
    }

    @Test
    void oneByteOverMakesALastChunkOfOneByte() throws Exception {
        byte[] data = TestData.text(2001, 2);
        List<ChunkEntry> chunks = store(data, 1000, 4096);
        assertThat(chunks).extracting(ChunkEntry::size).containsExactly(1000L, 1000L, 1L);
        assertThat(Files.readAllBytes(root.resolve(BACKUP + "/chunk-00003"))).containsExactly(data[2000]);
    }

    @Test
    void emptyInputMakesNoChunks() throws Exception {
        assertThat(store(new byte[0], 1000, 1)).isEmpty();
        assertThat(new FilesystemTarget(root).list("")).isEmpty();
    }

    @Test
    void closeWithoutCommitKeepsCommittedChunksAndDiscardsTheOpenOne() throws Exception {
        FilesystemTarget target = new FilesystemTarget(root);
        byte[] data = TestData.text(2500, 3);
        try (Chunker chunker = new Chunker(target, BACKUP, DataSize.ofBytes(1000))) {
            chunker.write(data);
            assertThat(chunker.committedChunks()).hasSize(2);
        }
        assertThat(target.list(BACKUP + "/")).extracting(ObjectInfo::key)
                .containsExactly(BACKUP + "/chunk-00001", BACKUP + "/chunk-00002");
        try (Stream<Path> files = Files.list(root.resolve(BACKUP))) {
            assertThat(files).as("no temp file of the aborted chunk is left").hasSize(2);
        }
    }

    @Test
    void refusesWritesAfterCommit() throws Exception {
        try (Chunker chunker = new Chunker(new FilesystemTarget(root), BACKUP, DataSize.ofBytes(10))) {
            chunker.write(1);
            chunker.commit();
            assertThatThrownBy(() -> chunker.write(2)).isInstanceOf(IllegalStateException.class);
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
