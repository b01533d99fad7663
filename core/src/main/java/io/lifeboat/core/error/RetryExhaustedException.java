package io.lifeboat.core.error;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@link Retry} gave up. The message is the last failure's, followed by how many attempts were made; the earlier
 * failures are listed in the hint and kept as {@link #attempts()}.
 */
public class RetryExhaustedException extends LifeboatException {
    private final List<RuntimeException> attempts;

    RetryExhaustedException(List<RuntimeException> attempts, Duration spent) {
        super(message(attempts, spent), hint(attempts), attempts.get(attempts.size() - 1));
        this.attempts = List.copyOf(attempts);
    }

    /** Every failed attempt, oldest first. */
    public List<RuntimeException> attempts() {
        return attempts;
    }

    private static String message(List<RuntimeException> attempts, Duration spent) {
        String last = attempts.get(attempts.size() - 1).getMessage();
        return last + String.format(Locale.ROOT, " (gave up after %d attempts in %.1f s)",
                attempts.size(), spent.toMillis() / 1000.0);
    }

    private static String hint(List<RuntimeException> attempts) {
        LifeboatException last = attempts.get(attempts.size() - 1) instanceof LifeboatException l ? l : null;
        String each = attempts.stream()
                .map(RuntimeException::getMessage)
                .collect(Collectors.joining("; "));
        String own = last == null ? null : last.hint().orElse(null);
        return (own == null ? "" : own + "; ") + "attempts: " + each;
    }
}
