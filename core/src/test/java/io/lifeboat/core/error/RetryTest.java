package io.lifeboat.core.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
    private final Retry quick = Retry.on(TransientException.class).attempts(4)
            .backoff(Duration.ofMillis(1), Duration.ofMillis(5)).within(Duration.ofSeconds(5));

    @Test
    void retriesTransientFailuresUntilTheCallSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        String result = quick.run(() -> {
            if (calls.incrementAndGet() < 3) {
                throw new TransientException("cannot upload x (s3 answered 503)", null);
            }
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(calls).hasValue(3);
    }

    @Test
    void givesUpAfterTheAttemptsAndListsEachOne() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> quick.run(() -> {
            throw new TransientException("failure " + calls.incrementAndGet(), null);
        }))
                .isInstanceOf(RetryExhaustedException.class)
                .hasMessageStartingWith("failure 4 (gave up after 4 attempts in ")
                .satisfies(e -> {
                    RetryExhaustedException exhausted = (RetryExhaustedException) e;
                    assertThat(exhausted.attempts()).extracting(Throwable::getMessage)
                            .containsExactly("failure 1", "failure 2", "failure 3", "failure 4");
                    assertThat(exhausted.hint()).get().asString()
                            .isEqualTo("attempts: failure 1; failure 2; failure 3; failure 4");
                });
    }

    @Test
    void passesOtherFailuresThroughAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> quick.run(() -> {
            calls.incrementAndGet();
            throw new LifeboatException("access denied");
        })).isExactlyInstanceOf(LifeboatException.class).hasMessage("access denied");
        assertThat(calls).hasValue(1);
    }

    @Test
    void stopsWhenTheNextWaitWouldPassTheDeadline() {
        AtomicInteger calls = new AtomicInteger();
        Retry slow = Retry.on(TransientException.class).attempts(100)
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(1)).within(Duration.ofMillis(300));
        assertThatThrownBy(() -> slow.run(() -> {
            calls.incrementAndGet();
            throw new TransientException("busy", null);
        })).isInstanceOf(RetryExhaustedException.class);
        assertThat(calls.get()).isBetween(1, 3);
    }
}
