package io.lifeboat.core.openpgp;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;

/**
 * Reads the public key a backup is encrypted to, armored or binary, and returns the keys to encrypt to: the
 * encryption-capable keys that are neither expired nor revoked. A file that cannot serve (not a key, a secret
 * key, no encryption subkey, expired, revoked) is refused with one message that says which.
 *
 * <p>Revocations are taken at face value, without checking their signatures: a revoked-looking key is refused
 * either way, and refusing is the safe side.
 */
public final class PublicKeyFile {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private PublicKeyFile() {
    }

    /** The keys to encrypt to, one or more per key ring in the file. */
    public static List<PGPPublicKey> read(Path file) {
        return recipients(file, rings(file), Instant.now());
    }

    /** The primary keys' fingerprints of the rings in {@code file}, for the manifest's recipient list. */
    public static List<String> fingerprints(Path file) {
        return rings(file).stream().map(ring -> OpenPgp.fingerprint(ring.getPublicKey())).toList();
    }

    /** The key rings in {@code file}; their primary keys' fingerprints go into the manifest as recipients. */
    public static List<PGPPublicKeyRing> rings(Path file) {
        String what = "public key " + file;
        byte[] bytes = OpenPgp.readKeyFile(file, what);
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(bytes))) {
            PGPPublicKeyRingCollection collection = new PGPPublicKeyRingCollection(in, new JcaKeyFingerprintCalculator());
            collection.forEach(rings::add);
        } catch (IOException | PGPException | RuntimeException e) {
            if (isSecretKey(bytes)) {
                throw new LifeboatException(what + ": is a secret key",
                        "export the public key (gpg --export --armor KEY) and give that; the server needs no secret key", e);
            }
            throw new LifeboatException(what + ": not an openpgp public key", e);
        }
        if (rings.isEmpty()) {
            throw new LifeboatException(what + ": not an openpgp public key");
        }
        return rings;
    }

    static List<PGPPublicKey> recipients(Path file, List<PGPPublicKeyRing> rings, Instant now) {
        String what = "public key " + file;
        List<PGPPublicKey> recipients = new ArrayList<>();
        for (PGPPublicKeyRing ring : rings) {
            PGPPublicKey primary = ring.getPublicKey();
            problem(primary, now).ifPresent(problem -> {
                throw new LifeboatException(what + ": " + problem, "give a current key; backups must stay readable", null);
            });
            List<PGPPublicKey> candidates = new ArrayList<>();
            for (Iterator<PGPPublicKey> keys = ring.getPublicKeys(); keys.hasNext(); ) {
                PGPPublicKey key = keys.next();
                if (!key.isMasterKey() && key.isEncryptionKey()) {
                    candidates.add(key);
                }
            }
            if (candidates.isEmpty() && primary.isEncryptionKey()) {
                candidates.add(primary);
            }
            if (candidates.isEmpty()) {
                throw new LifeboatException(what + ": no encryption subkey",
                        "give a key that can encrypt (gpg --list-keys shows it as [E])", null);
            }
            String lastProblem = null;
            for (PGPPublicKey key : candidates) {
                Optional<String> problem = problem(key, now);
                if (problem.isPresent()) {
                    lastProblem = problem.get();
                } else {
                    recipients.add(key);
                }
            }
            if (lastProblem != null && recipients.isEmpty()) {
                throw new LifeboatException(what + ": encryption subkey " + lastProblem,
                        "give a key with a current encryption subkey", null);
            }
        }
        return recipients;
    }

    /** "expired on 2025-01-31" or "revoked", if the key may no longer be encrypted to. */
    static Optional<String> problem(PGPPublicKey key, Instant now) {
        if (key.hasRevocation()) {
            return Optional.of("revoked");
        }
        long validSeconds = key.getValidSeconds();
        if (validSeconds > 0) {
            Instant expiry = key.getCreationTime().toInstant().plusSeconds(validSeconds);
            if (!expiry.isAfter(now)) {
                return Optional.of("expired on " + DAY.format(expiry));
            }
        }
        return Optional.empty();
    }

    private static boolean isSecretKey(byte[] bytes) {
        try (InputStream in = PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(bytes))) {
            return new PGPSecretKeyRingCollection(in, new JcaKeyFingerprintCalculator()).size() > 0;
        } catch (IOException | PGPException | RuntimeException e) {
            return false;
        }
    }
}
