package io.lifeboat.archiver.read;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The last verification of a backup as recorded on its target in {@code <id>/verification.json}, written after
 * the manifest: {@code verified} or {@code corrupt}, when, whether the content was decrypted and read end to end,
 * and what was wrong.
 */
@JsonPropertyOrder({"outcome", "checkedAt", "contentChecked", "problems"})
public record Verification(String outcome, Instant checkedAt, boolean contentChecked, List<String> problems) {
    public static final String VERIFIED = "verified";
    public static final String CORRUPT = "corrupt";

    public Verification {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(checkedAt, "checkedAt");
        problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
        if (!outcome.equals(VERIFIED) && !outcome.equals(CORRUPT)) {
            throw new IllegalArgumentException("outcome '" + outcome + "' is neither verified nor corrupt");
        }
    }

    public static Verification of(List<String> problems, Instant checkedAt, boolean contentChecked) {
        return new Verification(problems.isEmpty() ? VERIFIED : CORRUPT, checkedAt, contentChecked, problems);
    }

    public boolean ok() {
        return outcome.equals(VERIFIED);
    }
}
