package io.lifeboat.core.stream;

import io.lifeboat.core.openpgp.OpenPgp;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * OpenPGP encryption to one or more public keys: AES-256 in a version 1 SEIPD packet with the integrity (MDC)
 * packet, which gpg 2.2 reads (it cannot read the newer AEAD packets), around one binary literal data packet.
 * Both packets stream with partial lengths, so the size need not be known. No OpenPGP compression: the data
 * arrives zstd-compressed already.
 *
 * <p>The content is encrypted with the JDK's AES (three times BouncyCastle's lightweight one); only the session
 * key is wrapped, with BouncyCastle's lightweight API, so an archive run never builds BouncyCastle's provider.
 */
public final class OpenPgpStage implements Stage {
    private static final int PACKET_BUFFER_BYTES = 1 << 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<PGPPublicKey> recipients;

    /** @param recipients encryption keys, e.g. from {@link io.lifeboat.core.openpgp.PublicKeyFile#read} */
    public OpenPgpStage(List<PGPPublicKey> recipients) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("openpgp stage needs at least one recipient key");
        }
        for (PGPPublicKey key : recipients) {
            if (!key.isEncryptionKey()) {
                throw new IllegalArgumentException("key " + OpenPgp.fingerprint(key) + " cannot encrypt");
            }
        }
        this.recipients = List.copyOf(recipients);
    }

    @Override
    public String name() {
        return "openpgp";
    }

    public List<PGPPublicKey> recipients() {
        return recipients;
    }

    @Override
    public OutputStream wrap(OutputStream downstream) throws IOException {
        PGPEncryptedDataGenerator encryption = new PGPEncryptedDataGenerator(
                new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                        .setWithIntegrityPacket(true)
                        .setSecureRandom(RANDOM));
        for (PGPPublicKey key : recipients) {
            // BouncyCastle's lightweight API wraps the session key: once per run, and it needs no JCA provider.
            encryption.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(RANDOM));
        }
        OutputStream encrypted;
        try {
            encrypted = encryption.open(downstream, new byte[PACKET_BUFFER_BYTES]);
        } catch (PGPException e) {
            throw new IOException("cannot start openpgp encryption (" + e.getMessage() + ")", e);
        }
        PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
        // OpenPGP keeps whole seconds; the name stays empty because the manifest, not the packet, describes the data.
        Date now = new Date(System.currentTimeMillis() / 1000 * 1000);
        OutputStream plain = literal.open(encrypted, PGPLiteralData.BINARY, "", now, new byte[PACKET_BUFFER_BYTES]);
        return new FilterOutputStream(plain) {
            private boolean closed;

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                // BouncyCastle's generators finish their packets but leave the stream below open.
                try {
                    literal.close();
                    encryption.close();
                } finally {
                    downstream.close();
                }
            }
        };
    }
}
