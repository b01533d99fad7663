package io.lifeboat.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.openpgp.TestKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThreadedStageTest {
    @Test
    void encryptingOnItsOwnThreadGivesTheSameRoundTrip() throws Exception {
        TestKeys keys = TestKeys.generate();
        byte[] data = TestData.text(3_000_000, 11);
        List<Stage> stages = List.of(new ZstdStage(1),
                new ThreadedStage(new OpenPgpStage(List.of(keys.encryptionKey())), 64 << 10, 2));
        assertThat(Pipeline.names(stages)).containsExactly("zstd", "openpgp");

        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = Pipeline.wrap(stages, stored)) {
            for (int i = 0; i < data.length; i += 10_000) {
                out.write(data, i, Math.min(10_000, data.length - i));
            }
        }
        byte[] restored = Pipeline.unwrap(List.of("zstd", "openpgp"),
                List.of(new ZstdDecoding(), new OpenPgpDecryption(keys.secretRing(), TestKeys.PASSPHRASE)),
                new ByteArrayInputStream(stored.toByteArray())).readAllBytes();
        assertThat(restored).isEqualTo(data);
    }

    @Test
    void aFailureBelowReachesTheWriter() {
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) {
                throw new LifeboatException("cannot upload b1/chunk-00001 to s3:primary (access denied)");
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                write(0);
            }
        };
        Stage passThrough = new Stage() {
            @Override
            public String name() {
                return "plain";
            }

            @Override
            public OutputStream wrap(OutputStream downstream) {
                return downstream;
            }
        };
        assertThatThrownBy(() -> {
            try (OutputStream out = new ThreadedStage(passThrough, 1024, 2).wrap(failing)) {
                for (int i = 0; i < 1000; i++) {
                    out.write(new byte[1024]);
                }
            }
        }).isInstanceOf(LifeboatException.class)
                .hasMessage("cannot upload b1/chunk-00001 to s3:primary (access denied)");
    }

    @Test
    void closeWaitsForTheStageToFinishAndCloseBelow() throws IOException {
        boolean[] closed = {false};
        OutputStream below = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        new ThreadedStage(new ZstdStage(1)).wrap(below).close();
        assertThat(closed[0]).isTrue();
    }
}
