package io.lifeboat.core.openpgp;

import io.lifeboat.core.error.FileError;
import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.Provider;
import java.util.HexFormat;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPPublicKey;

/**
 * What every OpenPGP class here shares: BouncyCastle's provider, for key operations only (bulk encryption uses
 * the JDK's AES, which is three times faster), and key names written the way gpg prints them.
 */
public final class OpenPgp {
    private OpenPgp() {
    }

    /**
     * BouncyCastle's provider, built on first use: building it costs about half a second of CPU (thousands of
     * algorithm entries), which an archive run, encrypting to a public key only, never needs to pay. Not
     * registered with {@link java.security.Security}: passed explicitly so nothing else changes provider.
     */
    public static Provider provider() {
        return Holder.PROVIDER;
    }

    private static final class Holder {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    /** 40 (v4) or 64 (v6) upper-case hex digits, as {@code gpg --list-keys} prints them. */
    public static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    /**
     * The bytes of a key file; {@code what} names it in the message ({@code public key FILE}, {@code secret key
     * FILE}).
     */
    static byte[] readKeyFile(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LifeboatException(what + ": no such file");
        } catch (IOException e) {
            throw new LifeboatException(what + ": cannot read (" + FileError.reason(e) + ")", e);
        }
    }

    /**
     * Whether {@code file} holds a secret key, judged from its start alone (the armor header, or the first packet's
     * tag: 5 secret key, 7 secret subkey), so a config can be checked without parsing keys.
     */
    public static boolean looksLikeSecretKey(Path file) {
        byte[] head = new byte[4096];
        int n;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            return false;
        }
        if (n == 0) {
            return false;
        }
        if (new String(head, 0, n, java.nio.charset.StandardCharsets.US_ASCII)
                .contains("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
            return true;
        }
        int first = head[0] & 0xff;
        if ((first & 0x80) == 0) {
            return false;
        }
        int tag = (first & 0x40) != 0 ? first & 0x3f : (first >> 2) & 0x0f;
        return tag == 5 || tag == 7;
    }

    /** 16 upper-case hex digits, as gpg prints a long key id. */
    public static String keyId(long id) {
        return String.format("%016X", id);
    }
}
