package io.lifeboat.core.openpgp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyEncryptorBuilder;

/**
 * Throwaway OpenPGP keys for core's tests (testkit's PgpKeys depends on core, so core cannot use it): an Ed25519
 * primary key that signs and an X25519 subkey that encrypts, optionally without the subkey, expired or revoked.
 */
public final class TestKeys {
    public static final char[] PASSPHRASE = "correct horse".toCharArray();

    private final PGPPublicKeyRing publicRing;
    private final PGPSecretKeyRing secretRing;

    private TestKeys(PGPPublicKeyRing publicRing, PGPSecretKeyRing secretRing) {
        this.publicRing = publicRing;
        this.secretRing = secretRing;
    }

    public static TestKeys generate() {
        return generate(Instant.now(), null, true);
    }

    /** A key without an encryption subkey. */
    public static TestKeys signingOnly() {
        return generate(Instant.now(), null, false);
    }

    /** A key created {@code age} ago that expired {@code validFor} after its creation. */
    public static TestKeys expired(Duration age, Duration validFor) {
        return generate(Instant.now().minus(age), validFor, true);
    }

    private static TestKeys generate(Instant created, Duration validFor, boolean withEncryption) {
        try {
            Date when = new Date(created.toEpochMilli() / 1000 * 1000);
            PGPKeyPair primary = pair("Ed25519", PublicKeyAlgorithmTags.EDDSA_LEGACY, when);
            PGPDigestCalculatorProvider digests = new JcaPGPDigestCalculatorProviderBuilder()
                    .setProvider(OpenPgp.provider()).build();
            PGPSignatureSubpacketGenerator primaryPackets = new PGPSignatureSubpacketGenerator();
            primaryPackets.setKeyFlags(false, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
            if (validFor != null) {
                primaryPackets.setKeyExpirationTime(false, validFor.toSeconds());
            }
            PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary,
                    "Lifeboat Test <test@lifeboat.invalid>", digests.get(HashAlgorithmTags.SHA1),
                    primaryPackets.generate(), null,
                    new JcaPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256)
                            .setProvider(OpenPgp.provider()),
                    new JcePBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256,
                            digests.get(HashAlgorithmTags.SHA256), 0x60).setProvider(OpenPgp.provider()).build(PASSPHRASE));
            if (withEncryption) {
                PGPSignatureSubpacketGenerator subkeyPackets = new PGPSignatureSubpacketGenerator();
                subkeyPackets.setKeyFlags(false, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
                generator.addSubKey(pair("X25519", PublicKeyAlgorithmTags.ECDH, when), subkeyPackets.generate(), null);
            }
            return new TestKeys(generator.generatePublicKeyRing(), generator.generateSecretKeyRing());
        } catch (PGPException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PGPKeyPair pair(String curve, int algorithm, Date created)
            throws GeneralSecurityException, PGPException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(curve, OpenPgp.provider());
        return new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, algorithm, generator.generateKeyPair(), created);
    }

    /** This key's public ring with a key revocation signature added to its primary key. */
    public PGPPublicKeyRing revokedPublicRing() {
        try {
            PGPPrivateKey privateKey = secretRing.getSecretKey().extractPrivateKey(
                    new JcePBESecretKeyDecryptorBuilder().setProvider(OpenPgp.provider()).build(PASSPHRASE));
            PGPPublicKey primary = publicRing.getPublicKey();
            PGPSignatureGenerator generator = new PGPSignatureGenerator(
                    new JcaPGPContentSignerBuilder(primary.getAlgorithm(), HashAlgorithmTags.SHA256)
                            .setProvider(OpenPgp.provider()), primary);
            generator.init(PGPSignature.KEY_REVOCATION, privateKey);
            PGPPublicKey revoked = PGPPublicKey.addCertification(primary, generator.generateCertification(primary));
            return PGPPublicKeyRing.insertPublicKey(publicRing, revoked);
        } catch (PGPException e) {
            throw new IllegalStateException(e);
        }
    }

    public PGPPublicKeyRing publicRing() {
        return publicRing;
    }

    public PGPSecretKeyRing secretRing() {
        return secretRing;
    }

    public PGPPublicKey encryptionKey() {
        for (PGPPublicKey key : publicRing) {
            if (key.isEncryptionKey()) {
                return key;
            }
        }
        throw new IllegalStateException("no encryption key");
    }

    public String fingerprint() {
        return OpenPgp.fingerprint(publicRing.getPublicKey());
    }

    public static byte[] armored(Encoder encoder) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ArmoredOutputStream armored = ArmoredOutputStream.builder().build(bytes)) {
            encoder.encode(armored);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public interface Encoder {
        void encode(OutputStream out) throws IOException;
    }
}
