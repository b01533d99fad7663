package io.lifeboat.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HumanDurationTest {
    @Test
    void parsesSingleAndCombinedUnits() {
        assertThat(HumanDuration.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(HumanDuration.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(HumanDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(HumanDuration.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(HumanDuration.parse("2w")).isEqualTo(Duration.ofDays(14));
    }

    @Test
    void rejectsBareNumbersAndUnknownUnits() {
        assertThatThrownBy(() -> HumanDuration.parse("15"))
                .hasMessage("'15' is not a duration (write it like 30s, 15m, 1h30m or 7d; units ms, s, m, h, d, w)");
        assertThatThrownBy(() -> HumanDuration.parse("3 fortnights")).hasMessageContaining("is not a duration");
        assertThatThrownBy(() -> HumanDuration.parse("")).hasMessageContaining("is not a duration");
    }

    @Test
    void formatIsTheInverseOfParse() {
        for (String text : new String[] {"500ms", "15m", "1h30m", "7d", "1d2h3m4s5ms"}) {
            assertThat(HumanDuration.format(HumanDuration.parse(text))).isEqualTo(text);
        }
    }
}
