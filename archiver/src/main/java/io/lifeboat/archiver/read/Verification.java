package io.lifeboat.archiver.read;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The last verification of a backup as recorded on its target in {@code <id>/verification.json}, written after
 * the manifest: {@code verified}, {@code corrupt} (something stored is wrong) or {@code unreachable} (the target
 * could not be read, which says nothing about the backup), when, whether the content was decrypted and read end to
 * end, and what was wrong.
 */
@JsonPropertyOrder({"outcome", "checkedAt", "contentChecked", "problems"})
public record Verification(String outcome, Instant checkedAt, boolean contentChecked, List<String> problems) {
    public static final String VERIFIED = "verified";
    public static final String CORRUPT = "corrupt";
    public static final String UNREACHABLE = "unreachable";

    public Verification {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(checkedAt, "checkedAt");
        problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
        if (!outcome.equals(VERIFIED) && !outcome.equals(CORRUPT) && !outcome.equals(UNREACHABLE)) {
            throw new IllegalArgumentException("outcome '" + outcome + "' is not verified, corrupt or unreachable");
        }
    }

    /** Problems all taken as corruption: verified when there are none, else corrupt. */
    public static Verification of(List<String> problems, Instant checkedAt, boolean contentChecked) {
        return new Verification(problems.isEmpty() ? VERIFIED : CORRUPT, checkedAt, contentChecked, problems);
    }

    /**
     * Corrupt when anything stored was found wrong (or missing), else unreachable when something could not be read,
     * else verified: a target that failed never makes a backup corrupt.
     */
    public static Verification from(List<Problem> problems, Instant checkedAt, boolean contentChecked) {
        String outcome = problems.isEmpty() ? VERIFIED
                : problems.stream().anyMatch(p -> p.fault() != Fault.UNREACHABLE) ? CORRUPT : UNREACHABLE;
        return new Verification(outcome, checkedAt, contentChecked,
                problems.stream().map(Problem::toString).toList());
    }

    public boolean ok() {
        return outcome.equals(VERIFIED);
    }
}
