package io.lifeboat.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.openpgp.TestKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpenPgpStageTest {
    private static TestKeys keys;
    private static TestKeys otherKeys;

    @BeforeAll
    static void generateKeys() {
        keys = TestKeys.generate();
        otherKeys = TestKeys.generate();
    }

    private static byte[] encrypt(byte[] data, TestKeys... recipients) throws IOException {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = new OpenPgpStage(Arrays.stream(recipients).map(TestKeys::encryptionKey).toList())
                .wrap(stored)) {
            out.write(data);
        }
        return stored.toByteArray();
    }

    private static byte[] decrypt(byte[] stored, TestKeys with, char[] passphrase) throws IOException {
        return new OpenPgpDecryption(with.secretRing(), passphrase).wrap(new ByteArrayInputStream(stored)).readAllBytes();
    }

    @Test
    void roundTripsLargeDataToEveryRecipient() throws Exception {
        byte[] data = TestData.text(1_000_000, 1);
        byte[] stored = encrypt(data, keys, otherKeys);
        assertThat(decrypt(stored, keys, TestKeys.PASSPHRASE)).isEqualTo(data);
        assertThat(decrypt(stored, otherKeys, TestKeys.PASSPHRASE)).isEqualTo(data);
    }

    @Test
    void roundTripsEmptyData() throws Exception {
        assertThat(decrypt(encrypt(new byte[0], keys), keys, TestKeys.PASSPHRASE)).isEmpty();
    }

    @Test
    void closingFinishesTheMessageAndClosesTheStreamBelow() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        OutputStream below = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        new OpenPgpStage(List.of(keys.encryptionKey())).wrap(below).close();
        assertThat(closed).isTrue();
    }

    @Test
    void aFlippedByteFailsTheIntegrityCheck() throws Exception {
        byte[] stored = encrypt(TestData.text(300_000, 2), keys);
        stored[stored.length / 2] ^= 0x01;
        assertThatThrownBy(() -> decrypt(stored, keys, TestKeys.PASSPHRASE))
                .isInstanceOf(LifeboatException.class)
                .hasMessage("integrity check failed: openpgp modification detection code does not match");
    }

    @Test
    void truncatedDataFailsTheIntegrityCheck() throws Exception {
        byte[] stored = encrypt(TestData.text(300_000, 3), keys);
        byte[] truncated = Arrays.copyOf(stored, stored.length - 100);
        assertThatThrownBy(() -> decrypt(truncated, keys, TestKeys.PASSPHRASE))
                .isInstanceOf(LifeboatException.class)
                .hasMessageStartingWith("integrity check failed: ");
    }

    @Test
    void dataForAnotherKeyNamesBothKeys() throws Exception {
        byte[] stored = encrypt(TestData.text(1000, 4), otherKeys);
        assertThatThrownBy(() -> decrypt(stored, keys, TestKeys.PASSPHRASE))
                .hasMessage("openpgp data is encrypted to key " + OpenPgp.keyId(otherKeys.encryptionKey().getKeyID())
                        + ", not to key " + keys.fingerprint());
    }

    @Test
    void aWrongPassphraseNamesTheKey() throws Exception {
        byte[] stored = encrypt(TestData.text(1000, 5), keys);
        assertThatThrownBy(() -> decrypt(stored, keys, "guess".toCharArray()))
                .hasMessage("wrong passphrase for key " + keys.fingerprint());
    }

    @Test
    void plainBytesAreNotAnEncryptedMessage() {
        assertThatThrownBy(() -> decrypt(TestData.text(1000, 6), keys, TestKeys.PASSPHRASE))
                .isInstanceOf(LifeboatException.class);
    }
}
