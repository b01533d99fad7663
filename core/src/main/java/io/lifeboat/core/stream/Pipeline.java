package io.lifeboat.core.stream;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Chains stages in data order: {@code wrap(List.of(zstd, openpgp), chunker)} compresses, then encrypts, then
 * hands the bytes to the chunker. Closing the returned stream finishes every format in order but never closes
 * the final downstream, so the caller decides whether to commit it.
 */
public final class Pipeline {
    private Pipeline() {
    }

    public static OutputStream wrap(List<? extends Stage> stages, OutputStream downstream) throws IOException {
        OutputStream out = new CloseShield(downstream);
        for (int i = stages.size() - 1; i >= 0; i--) {
            out = stages.get(i).wrap(out);
        }
        return out;
    }

    /** The stage names in data order, as the manifest records them. */
    public static List<String> names(List<? extends Stage> stages) {
        return stages.stream().map(Stage::name).toList();
    }

    /**
     * The reverse of {@link #wrap}: undoes {@code stageNames} (from the manifest, in data order) over the stored
     * bytes, last stage first, with the decodings at hand.
     *
     * @throws LifeboatException when a stage has no decoding, e.g. {@code openpgp} without a secret key
     */
    public static InputStream unwrap(List<String> stageNames, List<? extends Decoding> decodings, InputStream stored)
            throws IOException {
        List<Decoding> chain = new ArrayList<>();
        for (String name : stageNames) {
            chain.add(decodings.stream().filter(d -> d.name().equals(name)).findFirst()
                    .orElseThrow(() -> new LifeboatException("cannot read backup stage " + name
                            + " (no " + name + " decoding given)",
                            name.equals("openpgp") ? "give the secret key that the backup was encrypted to" : null,
                            null)));
        }
        InputStream in = stored;
        for (int i = chain.size() - 1; i >= 0; i--) {
            in = chain.get(i).wrap(in);
        }
        return in;
    }
}
