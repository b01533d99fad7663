package io.lifeboat.core.openpgp;

import io.lifeboat.core.error.LifeboatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Iterator;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;

/**
 * Reads the secret key that restores and verifies backups ({@code gpg --export-secret-keys}, armored or binary)
 * and unlocks it with its passphrase. A wrong passphrase is reported when the key is read, before any download.
 */
public final class SecretKeyFile {
    private SecretKeyFile() {
    }

    /** The first secret key ring in {@code file}, after checking that {@code passphrase} unlocks it. */
    public static PGPSecretKeyRing read(Path file, char[] passphrase) {
        PGPSecretKeyRing ring = parse(file);
        unlock(ring, passphrase);
        return ring;
    }

    /** Whether the key in {@code file} is protected by a passphrase (gpg's default) rather than stored in clear. */
    public static boolean needsPassphrase(Path file) {
        for (PGPSecretKey key : parse(file)) {
            if (!key.isPrivateKeyEmpty() && key.getKeyEncryptionAlgorithm() != SymmetricKeyAlgorithmTags.NULL) {
                return true;
            }
        }
        return false;
    }

    private static PGPSecretKeyRing parse(Path file) {
        String what = "secret key " + file;
        byte[] bytes = OpenPgp.readKeyFile(file, what);
        PGPSecretKeyRing ring;
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes))) {
            Iterator<PGPSecretKeyRing> rings =
                    new PGPSecretKeyRingCollection(in, new JcaKeyFingerprintCalculator()).getKeyRings();
            if (!rings.hasNext()) {
                throw new LifeboatException(what + ": not an openpgp secret key");
            }
            ring = rings.next();
        } catch (IOException | PGPException | RuntimeException e) {
            if (e instanceof LifeboatException l) {
                throw l;
            }
            throw new LifeboatException(what + ": not an openpgp secret key", e);
        }
        return ring;
    }

    /**
     * Unlocks every secret key in the ring that has secret material (gpg may export stubs for some).
     *
     * @throws LifeboatException {@code wrong passphrase for key FINGERPRINT}
     */
    public static void unlock(PGPSecretKeyRing ring, char[] passphrase) {
        for (PGPSecretKey key : ring) {
            if (!key.isPrivateKeyEmpty()) {
                privateKey(ring, key, passphrase);
            }
        }
    }

    /** The unlocked private key of {@code key}, a member of {@code ring}. */
    public static PGPPrivateKey privateKey(PGPSecretKeyRing ring, PGPSecretKey key, char[] passphrase) {
        try {
            PBESecretKeyDecryptor decryptor = new JcePBESecretKeyDecryptorBuilder(
                    new JcaPGPDigestCalculatorProviderBuilder().setProvider(OpenPgp.provider()).build())
                    .setProvider(OpenPgp.provider()).build(passphrase);
            return key.extractPrivateKey(decryptor);
        } catch (PGPException e) {
            throw new LifeboatException("wrong passphrase for key " + OpenPgp.fingerprint(ring.getPublicKey()),
                    "give the passphrase the key was exported with", e);
        }
    }
}
