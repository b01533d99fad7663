package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyEncryptorBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway OpenPGP key: an Ed25519 primary key that certifies and signs, and a Curve25519 (ECDH) subkey that
 * encrypts, the secret parts protected by a passphrase.
 *
 * <p>Both keys are version 4 in the "legacy" Curve25519 encoding (EdDSA algorithm 22, ECDH algorithm 18), which
 * gpg 2.2 reads; the RFC 9580 Ed25519/X25519 algorithms are newer than gpg 2.2. Generation takes milliseconds,
 * unlike RSA.
 */
public final class PgpKeys {
    private static final Logger LOG = LoggerFactory.getLogger(PgpKeys.class);
    private static final Provider BC = new BouncyCastleProvider();
    private static final int S2K_ITERATION_COUNT = 0x60;

    private final PGPPublicKeyRing publicKeyRing;
    private final PGPSecretKeyRing secretKeyRing;
    private final char[] passphrase;

    private PgpKeys(PGPPublicKeyRing publicKeyRing, PGPSecretKeyRing secretKeyRing, char[] passphrase) {
        this.publicKeyRing = publicKeyRing;
        this.secretKeyRing = secretKeyRing;
        this.passphrase = passphrase;
    }

    /** A new key pair for {@code userId} (e.g. {@code "Lifeboat Test <test@lifeboat.invalid>"}). */
    public static PgpKeys generate(String userId, char[] passphrase) {
        long begin = System.nanoTime();
        try {
            // Whole seconds: OpenPGP stores creation times in seconds, and a key from "the future" upsets gpg.
            Date now = new Date(System.currentTimeMillis() / 1000 * 1000);
            PGPKeyPair primary = keyPair("Ed25519", PublicKeyAlgorithmTags.EDDSA_LEGACY, now);
            PGPKeyPair encryption = keyPair("X25519", PublicKeyAlgorithmTags.ECDH, now);

            PGPDigestCalculatorProvider digests = new JcaPGPDigestCalculatorProviderBuilder().setProvider(BC).build();
            PGPKeyRingGenerator generator = new PGPKeyRingGenerator(
                    PGPSignature.POSITIVE_CERTIFICATION, primary, userId,
                    digests.get(HashAlgorithmTags.SHA1),
                    primaryKeySubpackets().generate(), null,
                    new JcaPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA512)
                            .setProvider(BC),
                    new JcePBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256,
                            digests.get(HashAlgorithmTags.SHA256), S2K_ITERATION_COUNT)
                            .setProvider(BC).build(passphrase));
            PGPSignatureSubpacketGenerator subkeyFlags = new PGPSignatureSubpacketGenerator();
            subkeyFlags.setKeyFlags(false, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
            generator.addSubKey(encryption, subkeyFlags.generate(), null);

            PgpKeys keys = new PgpKeys(generator.generatePublicKeyRing(), generator.generateSecretKeyRing(),
                    passphrase.clone());
            LOG.info("generated openpgp key {} in {} ms", keys.fingerprint(), (System.nanoTime() - begin) / 1_000_000);
            return keys;
        } catch (PGPException | GeneralSecurityException e) {
            throw new LifeboatException("cannot generate an openpgp key for " + userId + " (" + e.getMessage() + ")", e);
        }
    }

    private static PGPKeyPair keyPair(String curve, int algorithm, Date created)
            throws GeneralSecurityException, PGPException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(curve, BC);
        return new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, algorithm, generator.generateKeyPair(), created);
    }

    private static PGPSignatureSubpacketGenerator primaryKeySubpackets() {
        PGPSignatureSubpacketGenerator subpackets = new PGPSignatureSubpacketGenerator();
        subpackets.setKeyFlags(false, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        subpackets.setPreferredSymmetricAlgorithms(false,
                new int[] {SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_128});
        subpackets.setPreferredHashAlgorithms(false,
                new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
        // Uncompressed first: Lifeboat's data arrives zstd-compressed already.
        subpackets.setPreferredCompressionAlgorithms(false, new int[] {0, 2, 1});
        subpackets.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
        return subpackets;
    }

    public PGPPublicKeyRing publicKeyRing() {
        return publicKeyRing;
    }

    public PGPSecretKeyRing secretKeyRing() {
        return secretKeyRing;
    }

    /** The subkey to encrypt to. */
    public PGPPublicKey encryptionKey() {
        for (PGPPublicKey key : publicKeyRing) {
            if (key.isEncryptionKey()) {
                return key;
            }
        }
        throw new IllegalStateException("generated key ring has no encryption key");
    }

    /** The primary key's fingerprint as gpg prints it: 40 upper-case hex digits. */
    public String fingerprint() {
        return HexFormat.of().withUpperCase().formatHex(publicKeyRing.getPublicKey().getFingerprint());
    }

    /** A copy of the passphrase that protects the secret keys. */
    public char[] passphrase() {
        return passphrase.clone();
    }

    public void writeArmoredPublicKey(Path file) {
        write(file, armored -> publicKeyRing.encode(armored, true));
    }

    public void writeArmoredSecretKey(Path file) {
        write(file, secretKeyRing::encode);
    }

    @Override
    public String toString() {
        return "openpgp key " + fingerprint();
    }

    private interface Encoder {
        void encode(OutputStream out) throws IOException;
    }

    private void write(Path file, Encoder encoder) {
        try (OutputStream out = Files.newOutputStream(file);
             ArmoredOutputStream armored = ArmoredOutputStream.builder().build(out)) {
            encoder.encode(armored);
        } catch (IOException e) {
            throw new LifeboatException("cannot write openpgp key " + fingerprint() + " to " + file
                    + " (" + e.getMessage() + ")", e);
        }
    }
}
