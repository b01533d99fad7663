package io.lifeboat.core.manifest;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.openpgp.SecretKeyFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;

/**
 * A detached OpenPGP signature over the exact bytes of {@code manifest.json}, stored next to it as
 * {@code manifest.json.sig} (armored, so {@code gpg --verify manifest.json.sig manifest.json} checks it too). The
 * signing key is separate from the encryption key: the server holds a signing secret key but never the
 * decryption one.
 */
public final class ManifestSignature {
    private ManifestSignature() {
    }

    /** An armored detached signature of {@code manifest} by the ring's signing key. */
    public static byte[] sign(byte[] manifest, PGPSecretKeyRing signer, char[] passphrase) {
        PGPSecretKey key = signingKey(signer);
        PGPPrivateKey privateKey = SecretKeyFile.privateKey(signer, key, passphrase);
        try {
            PGPSignatureGenerator generator = new PGPSignatureGenerator(
                    new JcaPGPContentSignerBuilder(key.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256)
                            .setProvider(OpenPgp.provider()), key.getPublicKey());
            generator.init(PGPSignature.BINARY_DOCUMENT, privateKey);
            generator.update(manifest);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (OutputStream armored = ArmoredOutputStream.builder().build(bytes)) {
                generator.generate().encode(armored);
            }
            return bytes.toByteArray();
        } catch (PGPException | IOException e) {
            throw new LifeboatException("cannot sign manifest with key " + OpenPgp.fingerprint(signer.getPublicKey())
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Checks that {@code signature} is a valid signature of exactly {@code manifest} by a key of {@code signer}.
     *
     * @param origin where the manifest came from, for messages
     * @throws LifeboatException {@code manifest ORIGIN: signature does not match ...} and the like
     */
    public static void verify(byte[] manifest, byte[] signature, PGPPublicKeyRing signer, String origin) {
        PGPSignature sig = parse(signature, origin);
        PGPPublicKey key = signer.getPublicKey(sig.getKeyID());
        if (key == null) {
            throw new LifeboatException("manifest " + origin + ": signed by key " + OpenPgp.keyId(sig.getKeyID())
                    + ", not by key " + OpenPgp.fingerprint(signer.getPublicKey()),
                    "check the signing public key given for verification", null);
        }
        try {
            sig.init(new JcaPGPContentVerifierBuilderProvider().setProvider(OpenPgp.provider()), key);
            sig.update(manifest);
            if (!sig.verify()) {
                throw new LifeboatException("manifest " + origin + ": signature does not match (manifest altered)",
                        "do not restore from this manifest; it was changed after it was signed", null);
            }
        } catch (PGPException e) {
            throw new LifeboatException("manifest " + origin + ": cannot check signature (" + e.getMessage() + ")", e);
        }
    }

    private static PGPSignature parse(byte[] signature, String origin) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
            Object object = new JcaPGPObjectFactory(in).nextObject();
            if (object instanceof PGPSignatureList list && !list.isEmpty()) {
                return list.get(0);
            }
        } catch (IOException | RuntimeException e) {
            throw new LifeboatException("manifest " + origin + ": signature is not an openpgp signature", e);
        }
        throw new LifeboatException("manifest " + origin + ": signature is not an openpgp signature");
    }

    /** A subkey flagged for signing if there is one, else the primary key. */
    private static PGPSecretKey signingKey(PGPSecretKeyRing ring) {
        for (Iterator<PGPSecretKey> keys = ring.getSecretKeys(); keys.hasNext(); ) {
            PGPSecretKey key = keys.next();
            if (!key.isMasterKey() && key.isSigningKey() && !key.isPrivateKeyEmpty()
                    && (flags(key.getPublicKey()) & KeyFlags.SIGN_DATA) != 0) {
                return key;
            }
        }
        return ring.getSecretKey();
    }

    private static int flags(PGPPublicKey key) {
        Iterator<PGPSignature> signatures = key.getSignaturesOfType(PGPSignature.SUBKEY_BINDING);
        int flags = 0;
        while (signatures.hasNext()) {
            PGPSignature binding = signatures.next();
            if (binding.getHashedSubPackets() != null) {
                flags |= binding.getHashedSubPackets().getKeyFlags();
            }
        }
        return flags;
    }
}
