package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.manifest.ChunkEntry;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.storage.FilesystemTarget;
import io.lifeboat.core.stream.Chunker;
import io.lifeboat.core.stream.OpenPgpDecryption;
import io.lifeboat.core.stream.OpenPgpStage;
import io.lifeboat.core.stream.Pipeline;
import io.lifeboat.core.stream.ZstdDecoding;
import io.lifeboat.core.stream.ZstdStage;
import io.lifeboat.testkit.PgpKeys;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What Lifeboat encrypts, gpg 2.2 decrypts, and the other way round: the backups never depend on Lifeboat alone. */
class GpgInteropIT {
    private static final Duration GPG_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Path home;
    private Path passphraseFile;
    private PgpKeys keys;

    @BeforeEach
    void importKeyIntoGpg() throws Exception {
        keys = PgpKeys.generate("Lifeboat Test <test@lifeboat.invalid>", "gpg interop".toCharArray());
        home = Files.createDirectory(dir.resolve("gnupg"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        passphraseFile = Files.writeString(dir.resolve("passphrase"), new String(keys.passphrase()));
        Path secret = dir.resolve("secret.asc");
        keys.writeArmoredSecretKey(secret);
        gpg("--import", secret.toString());
    }

    @AfterEach
    void stopAgent() {
        if (home != null) {
            ExternalCommand.of("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent")
                    .timeout(GPG_TIMEOUT).runAllowingFailure();
        }
    }

    private ExternalCommand.Result gpg(String... arguments) {
        List<String> argv = new java.util.ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch",
                "--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(), "--trust-model", "always"));
        argv.addAll(List.of(arguments));
        return ExternalCommand.of(argv).timeout(GPG_TIMEOUT).run();
    }

    private static byte[] text(int size) {
        Random random = new Random(42);
        StringBuilder text = new StringBuilder();
        while (text.length() < size) {
            text.append(Long.toHexString(random.nextLong())).append(random.nextBoolean() ? " row\n" : " value\t");
        }
        return text.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void gpgDecryptsLifeboatsChunksConcatenated() throws Exception {
        byte[] data = text(3_000_000);
        FilesystemTarget target = new FilesystemTarget(dir.resolve("store"));
        List<ChunkEntry> chunks;
        try (Chunker chunker = new Chunker(target, "20261122T020000Z", DataSize.ofBytes(700_000))) {
            try (OutputStream out = Pipeline.wrap(List.of(new OpenPgpStage(List.of(keys.encryptionKey()))), chunker)) {
                out.write(data);
            }
            chunks = chunker.commit();
        }
        assertThat(chunks).hasSizeGreaterThan(3);

        Path decrypted = dir.resolve("decrypted");
        Path chunkDir = dir.resolve("store/20261122T020000Z");
        ExternalCommand.of("sh", "-c", "cat \"$0\"/chunk-* | gpg --homedir \"$1\" --batch --pinentry-mode loopback"
                        + " --passphrase-file \"$2\" --output \"$3\" --decrypt",
                chunkDir.toString(), home.toString(), passphraseFile.toString(), decrypted.toString())
                .timeout(GPG_TIMEOUT).run();
        assertThat(Files.readAllBytes(decrypted)).isEqualTo(data);
    }

    @Test
    void gpgDecryptsZstdThenOpenPgpAndTheResultDecompresses() throws Exception {
        byte[] data = text(1_000_000);
        Path stored = dir.resolve("backup.zst.gpg");
        try (OutputStream out = Pipeline.wrap(List.of(new ZstdStage(3), new OpenPgpStage(List.of(keys.encryptionKey()))),
                Files.newOutputStream(stored))) {
            out.write(data);
        }
        Path decrypted = dir.resolve("backup.zst");
        gpg("--output", decrypted.toString(), "--decrypt", stored.toString());
        try (InputStream in = new ZstdDecoding().wrap(Files.newInputStream(decrypted))) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void lifeboatDecryptsWhatGpgEncryptsZlibCompressed() throws Exception {
        byte[] data = text(2_000_000);
        Path plain = Files.write(dir.resolve("plain"), data);
        Path binary = dir.resolve("plain.gpg");
        Path armored = dir.resolve("plain.asc");
        // testkit's key prefers no compression; force ZLIB, what gpg uses for keys without preferences.
        gpg("--compress-algo", "zlib", "--recipient", keys.fingerprint(), "--output", binary.toString(), "--encrypt", plain.toString());
        gpg("--compress-algo", "zlib", "--armor", "--recipient", keys.fingerprint(), "--output", armored.toString(), "--encrypt", plain.toString());
        assertThat(Files.size(binary)).as("gpg compressed it").isLessThan(data.length);

        OpenPgpDecryption decryption = new OpenPgpDecryption(keys.secretKeyRing(), keys.passphrase());
        for (Path encrypted : List.of(binary, armored)) {
            try (InputStream in = decryption.wrap(Files.newInputStream(encrypted))) {
                assertThat(in.readAllBytes()).as(encrypted.getFileName().toString()).isEqualTo(data);
            }
        }
    }
}
