package io.lifeboat.core.stream;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.openpgp.OpenPgp;
import io.lifeboat.core.openpgp.SecretKeyFile;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyDataDecryptorFactoryBuilder;

/**
 * Decrypts an OpenPGP message, armored or binary, with a secret key: what {@link OpenPgpStage} writes and what
 * {@code gpg --encrypt} writes (which is ZLIB-compressed inside). The integrity packet is checked when the last
 * byte has been read; a mismatch throws {@code integrity check failed: ...}, so a consumer must treat data as
 * good only once it has read to the end. Messages without integrity protection are refused. Signatures inside
 * a signed message are skipped, not verified.
 */
public final class OpenPgpDecryption implements Decoding {
    private final PGPSecretKeyRing ring;
    private final char[] passphrase;

    public OpenPgpDecryption(PGPSecretKeyRing ring, char[] passphrase) {
        this.ring = ring;
        this.passphrase = passphrase.clone();
    }

    @Override
    public String name() {
        return "openpgp";
    }

    @Override
    public InputStream wrap(InputStream stored) throws IOException {
        PGPEncryptedDataList list = encryptedDataList(new JcaPGPObjectFactory(PGPUtil.getDecoderStream(stored)));
        PGPPublicKeyEncryptedData data = null;
        PGPSecretKey secretKey = null;
        List<Long> addressedTo = new ArrayList<>();
        for (PGPEncryptedData candidate : list) {
            if (candidate instanceof PGPPublicKeyEncryptedData publicKeyData) {
                addressedTo.add(publicKeyData.getKeyID());
                PGPSecretKey ours = ring.getSecretKey(publicKeyData.getKeyID());
                if (ours != null && !ours.isPrivateKeyEmpty() && data == null) {
                    data = publicKeyData;
                    secretKey = ours;
                }
            }
        }
        if (data == null) {
            throw new LifeboatException("openpgp data is encrypted to key "
                    + addressedTo.stream().map(OpenPgp::keyId).collect(Collectors.joining(", "))
                    + ", not to key " + OpenPgp.fingerprint(ring.getPublicKey()),
                    "give the secret key that holds " + (addressedTo.size() == 1 ? "that key" : "one of those keys"),
                    null);
        }
        if (!data.isIntegrityProtected()) {
            throw new LifeboatException("openpgp data has no integrity protection",
                    "refusing to decrypt data that could have been altered unnoticed", null);
        }
        PGPPrivateKey privateKey = SecretKeyFile.privateKey(ring, secretKey, passphrase);
        PublicKeyDataDecryptorFactory decryptor = new JcePublicKeyDataDecryptorFactoryBuilder()
                .setProvider(OpenPgp.provider()).setContentProvider("SunJCE").build(privateKey);
        try {
            InputStream clear = data.getDataStream(decryptor);
            return new CheckedLiteral(literal(new JcaPGPObjectFactory(clear)).getInputStream(), data);
        } catch (PGPException e) {
            throw new LifeboatException("cannot decrypt openpgp data with key " + OpenPgp.fingerprint(ring.getPublicKey())
                    + " (" + e.getMessage() + ")", e);
        }
    }

    private static PGPEncryptedDataList encryptedDataList(JcaPGPObjectFactory factory) throws IOException {
        Object next = nextObject(factory);
        while (next instanceof PGPMarker) {
            next = nextObject(factory);
        }
        if (next instanceof PGPEncryptedDataList list) {
            return list;
        }
        throw new LifeboatException("data is not an openpgp encrypted message");
    }

    private static PGPLiteralData literal(JcaPGPObjectFactory factory) throws IOException, PGPException {
        Object next = nextObject(factory);
        if (next instanceof PGPCompressedData compressed) {
            factory = new JcaPGPObjectFactory(compressed.getDataStream());
            next = nextObject(factory);
        }
        while (next instanceof PGPOnePassSignatureList || next instanceof PGPSignatureList) {
            next = nextObject(factory);
        }
        if (next instanceof PGPLiteralData literal) {
            return literal;
        }
        throw new LifeboatException("openpgp message holds no literal data");
    }

    private static Object nextObject(JcaPGPObjectFactory factory) throws IOException {
        try {
            return factory.nextObject();
        } catch (IOException | RuntimeException e) {
            throw new LifeboatException("openpgp data is malformed (" + e.getMessage() + ")", e);
        }
    }

    /** The literal data, with the integrity packet checked at its end. */
    private static final class CheckedLiteral extends FilterInputStream {
        private final PGPEncryptedData data;
        private boolean checked;

        CheckedLiteral(InputStream literal, PGPEncryptedData data) {
            super(literal);
            this.data = data;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = super.read();
            } catch (EOFException e) {
                throw new LifeboatException("integrity check failed: openpgp data ends early (truncated)", e);
            }
            if (b < 0) {
                check();
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n;
            try {
                n = super.read(buffer, offset, length);
            } catch (EOFException e) {
                throw new LifeboatException("integrity check failed: openpgp data ends early (truncated)", e);
            }
            if (n < 0) {
                check();
            }
            return n;
        }

        private void check() throws IOException {
            if (checked) {
                return;
            }
            checked = true;
            try {
                if (!data.verify()) {
                    throw new LifeboatException("integrity check failed: openpgp modification detection code does not match",
                            "the data was altered or damaged after it was encrypted", null);
                }
            } catch (PGPException e) {
                throw new LifeboatException("integrity check failed: " + e.getMessage(), e);
            } catch (EOFException e) {
                throw new LifeboatException("integrity check failed: openpgp data ends early (truncated)", e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] discard = new byte[(int) Math.min(n, 8192)];
            long left = n;
            while (left > 0) {
                int r = read(discard, 0, (int) Math.min(left, discard.length));
                if (r < 0) {
                    break;
                }
                left -= r;
            }
            return n - left;
        }
    }
}
