package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgpKeysIT {
    private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

    @TempDir
    Path temp;
    private Path gnupgHome;

    @BeforeEach
    void gnupgHome() throws IOException {
        gnupgHome = Files.createDirectory(temp.resolve("gnupg"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        // No passphrase caching: a wrong passphrase must fail even after a right one was used.
        Files.writeString(gnupgHome.resolve("gpg-agent.conf"),
                "default-cache-ttl 0\nmax-cache-ttl 0\nallow-loopback-pinentry\n");
    }

    @AfterEach
    void stopAgent() {
        ExternalCommand.of("gpgconf", "--kill", "all").env("GNUPGHOME", gnupgHome.toString())
                .timeout(Duration.ofSeconds(10)).runAllowingFailure();
    }

    @Test
    void gpg_importsTheKey_encryptsToItsFingerprint_andDecryptsTheSameBytes() throws IOException {
        PgpKeys keys = PgpKeys.generate("Lifeboat Test <test@lifeboat.invalid>", PASSPHRASE);
        Path publicKey = temp.resolve("public.asc");
        Path secretKey = temp.resolve("secret.asc");
        keys.writeArmoredPublicKey(publicKey);
        keys.writeArmoredSecretKey(secretKey);
        Path passphraseFile = temp.resolve("passphrase");
        Files.writeString(passphraseFile, new String(keys.passphrase()));

        assertThat(publicKey).content().startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        assertThat(secretKey).content().startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----");
        gpg("--import", publicKey.toString());
        gpg("--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(),
                "--import", secretKey.toString());

        String listing = gpg("--with-colons", "--list-secret-keys", keys.fingerprint()).stdout();
        assertThat(keys.fingerprint()).matches("[0-9A-F]{40}");
        assertThat(listing).contains("fpr:::::::::" + keys.fingerprint() + ":")
                .contains("Lifeboat Test <test@lifeboat.invalid>");
        assertThat(listing.lines().filter(line -> line.startsWith("ssb:"))).singleElement().asString()
                .contains(":18:").contains(":e:");

        byte[] plain = new byte[300_000];
        new Random(7).nextBytes(plain);
        Path plainFile = temp.resolve("plain.bin");
        Files.write(plainFile, plain);
        Path encrypted = temp.resolve("plain.bin.gpg");
        gpg("--trust-model", "always", "--recipient", keys.fingerprint(), "--output", encrypted.toString(),
                "--encrypt", plainFile.toString());
        Path decrypted = temp.resolve("decrypted.bin");
        gpg("--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(),
                "--output", decrypted.toString(), "--decrypt", encrypted.toString());

        assertThat(Files.readAllBytes(decrypted)).isEqualTo(plain);

        Path wrongPassphrase = temp.resolve("wrong");
        Files.writeString(wrongPassphrase, "wrong");
        ExternalCommand.Result refused = gpgCommand("--pinentry-mode", "loopback", "--passphrase-file",
                wrongPassphrase.toString(), "--output", temp.resolve("nope").toString(), "--decrypt",
                encrypted.toString()).runAllowingFailure();
        assertThat(refused.exitCode()).as(refused.stderr()).isNotZero();
        assertThat(temp.resolve("nope")).doesNotExist();
    }

    @Test
    void keys_differPerGeneration_andThePassphraseIsACopy() {
        PgpKeys one = PgpKeys.generate("a <a@lifeboat.invalid>", PASSPHRASE);
        PgpKeys two = PgpKeys.generate("a <a@lifeboat.invalid>", PASSPHRASE);

        assertThat(one.fingerprint()).isNotEqualTo(two.fingerprint());
        one.passphrase()[0] = 'X';
        assertThat(one.passphrase()).isEqualTo(PASSPHRASE);
        assertThat(one.encryptionKey().isEncryptionKey()).isTrue();
        assertThat(one.encryptionKey().getKeyID()).isNotEqualTo(one.publicKeyRing().getPublicKey().getKeyID());
        assertThat(one.secretKeyRing().getSecretKey().getKeyID())
                .isEqualTo(one.publicKeyRing().getPublicKey().getKeyID());
    }

    private ExternalCommand.Result gpg(String... args) {
        return gpgCommand(args).run();
    }

    private ExternalCommand gpgCommand(String... args) {
        List<String> argv = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--homedir", gnupgHome.toString()));
        argv.addAll(List.of(args));
        return ExternalCommand.of(argv).timeout(Duration.ofSeconds(60));
    }
}
