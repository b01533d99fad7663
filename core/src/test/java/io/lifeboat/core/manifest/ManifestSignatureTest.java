package io.lifeboat.core.manifest;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.openpgp.TestKeys;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestSignatureTest {
    private static final String ORIGIN = "fs:offsite 20261122T020000Z/manifest.json";
    private final TestKeys signer = TestKeys.signingOnly();
    private final byte[] manifest = ManifestCodec.encode(ManifestCodecTest.sample());

    @Test
    void anUntouchedManifestVerifies() {
        byte[] signature = ManifestSignature.sign(manifest, signer.secretRing(), TestKeys.PASSPHRASE);
        assertThatCode(() -> ManifestSignature.verify(manifest, signature, signer.publicRing(), ORIGIN))
                .doesNotThrowAnyException();
    }

    @Test
    void aTamperedManifestFailsVerification() {
        byte[] signature = ManifestSignature.sign(manifest, signer.secretRing(), TestKeys.PASSPHRASE);
        byte[] tampered = new String(manifest, StandardCharsets.UTF_8).replace("0/16B3748", "0/16B3749")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ManifestSignature.verify(tampered, signature, signer.publicRing(), ORIGIN))
                .hasMessage("manifest " + ORIGIN + ": signature does not match (manifest altered)");
    }

    @Test
    void aSignatureByAnotherKeyIsNamed() {
        TestKeys stranger = TestKeys.signingOnly();
        byte[] signature = ManifestSignature.sign(manifest, stranger.secretRing(), TestKeys.PASSPHRASE);
        assertThatThrownBy(() -> ManifestSignature.verify(manifest, signature, signer.publicRing(), ORIGIN))
                .hasMessage("manifest " + ORIGIN + ": signed by key "
                        + OpenPgp.keyId(stranger.publicRing().getPublicKey().getKeyID())
                        + ", not by key " + signer.fingerprint());
    }

    @Test
    void garbageIsNotASignature() {
        assertThatThrownBy(() -> ManifestSignature.verify(manifest, "garbage".getBytes(StandardCharsets.UTF_8),
                signer.publicRing(), ORIGIN))
                .hasMessage("manifest " + ORIGIN + ": signature is not an openpgp signature");
    }
}
