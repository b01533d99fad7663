package io.lifeboat.core.stream;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Reproducible, moderately compressible bytes: random words and hex, like a dump of text and hashes. */
final class TestData {
    private static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "lifeboat", "postgres", "chunk",
            "zstd", "openpgp", "insert", "values", "copy", "public", "2026-11-22", "NULL", "\\N", "\t", "\n"};

    private TestData() {
    }

    static byte[] text(int size, long seed) {
        Random random = new Random(seed);
        StringBuilder text = new StringBuilder(size + 64);
        while (text.length() < size) {
            if (random.nextInt(4) == 0) {
                text.append(Long.toHexString(random.nextLong())).append(' ');
            } else {
                text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
        return java.util.Arrays.copyOf(bytes, size);
    }
}
