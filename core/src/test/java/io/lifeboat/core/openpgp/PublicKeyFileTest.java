package io.lifeboat.core.openpgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicKeyFileTest {
    @TempDir
    Path dir;

    @Test
    void readsTheEncryptionSubkeyFromArmoredAndBinaryFiles() throws Exception {
        TestKeys keys = TestKeys.generate();
        Path armored = Files.write(dir.resolve("key.asc"), TestKeys.armored(out -> keys.publicRing().encode(out, true)));
        Path binary = Files.write(dir.resolve("key.gpg"), keys.publicRing().getEncoded(true));

        assertThat(PublicKeyFile.read(armored)).singleElement()
                .satisfies(key -> assertThat(key.getKeyID()).isEqualTo(keys.encryptionKey().getKeyID()));
        assertThat(PublicKeyFile.read(binary)).singleElement()
                .satisfies(key -> assertThat(key.getKeyID()).isEqualTo(keys.encryptionKey().getKeyID()));
        assertThat(PublicKeyFile.fingerprints(armored)).containsExactly(keys.fingerprint());
    }

    @Test
    void refusesAFileThatIsNotAKey() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "hello, this is not a key\n");
        assertThatThrownBy(() -> PublicKeyFile.read(file))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("public key " + file + ": not an openpgp public key");
    }

    @Test
    void refusesASecretKeyWithAHint() throws Exception {
        TestKeys keys = TestKeys.generate();
        Path file = Files.write(dir.resolve("secret.asc"), TestKeys.armored(keys.secretRing()::encode));
        assertThatThrownBy(() -> PublicKeyFile.read(file))
                .hasMessage("public key " + file + ": is a secret key")
                .satisfies(e -> assertThat(((LifeboatException) e).hint()).get().asString().contains("gpg --export"));
    }

    @Test
    void refusesAKeyWithoutEncryptionSubkey() throws Exception {
        TestKeys keys = TestKeys.signingOnly();
        Path file = Files.write(dir.resolve("sign.asc"), TestKeys.armored(out -> keys.publicRing().encode(out, true)));
        assertThatThrownBy(() -> PublicKeyFile.read(file))
                .hasMessage("public key " + file + ": no encryption subkey");
    }

    @Test
    void refusesAnExpiredKeyNamingTheDay() throws Exception {
        TestKeys keys = TestKeys.expired(Duration.ofDays(3), Duration.ofDays(1));
        Path file = Files.write(dir.resolve("old.asc"), TestKeys.armored(out -> keys.publicRing().encode(out, true)));
        Instant expiry = keys.publicRing().getPublicKey().getCreationTime().toInstant().plus(Duration.ofDays(1));
        assertThatThrownBy(() -> PublicKeyFile.read(file))
                .hasMessage("public key " + file + ": expired on " + expiry.atOffset(ZoneOffset.UTC).toLocalDate());
    }

    @Test
    void refusesARevokedKey() throws Exception {
        TestKeys keys = TestKeys.generate();
        Path file = Files.write(dir.resolve("revoked.asc"),
                TestKeys.armored(out -> keys.revokedPublicRing().encode(out, true)));
        assertThatThrownBy(() -> PublicKeyFile.read(file))
                .hasMessage("public key " + file + ": revoked");
    }

    @Test
    void namesAMissingFile() {
        Path file = dir.resolve("absent.asc");
        assertThatThrownBy(() -> PublicKeyFile.read(file)).hasMessage("public key " + file + ": no such file");
    }

    @Test
    void secretKeyFileRefusesAWrongPassphrase() throws Exception {
        TestKeys keys = TestKeys.generate();
        Path file = Files.write(dir.resolve("secret.asc"), TestKeys.armored(keys.secretRing()::encode));
        assertThat(SecretKeyFile.read(file, TestKeys.PASSPHRASE).getPublicKey().getKeyID())
                .isEqualTo(keys.publicRing().getPublicKey().getKeyID());
        assertThatThrownBy(() -> SecretKeyFile.read(file, "wrong".toCharArray()))
                .hasMessage("wrong passphrase for key " + keys.fingerprint());
    }
}
