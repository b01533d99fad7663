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

    /** 16 upper-case hex digits, as gpg prints a long key id. */
    public static String keyId(long id) {
        return String.format("%016X", id);
    }
}
