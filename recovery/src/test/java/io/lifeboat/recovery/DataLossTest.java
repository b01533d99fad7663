package io.lifeboat.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.db.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DataLossTest {
    private static final Instant T = Instant.parse("2026-11-22T02:00:00Z");

    @Test
    void between_isWalBytesAndMasterSeconds_neverNegative() {
        Position reference = Position.of(Lsn.parse("0/3000000"), T.plusSeconds(90));
        DataLoss behind = DataLoss.between(Position.of(Lsn.parse("0/2FF0000"), T), reference);
        assertThat(behind.bytes()).contains(0x10000L);
        assertThat(behind.time()).contains(Duration.ofSeconds(90));
        assertThat(behind).hasToString("90.0 s, 64.0 KiB of WAL");
        assertThat(behind.exceeds(Duration.ofMinutes(1))).isTrue();
        assertThat(behind.exceeds(Duration.ofMinutes(2))).isFalse();

        DataLoss ahead = DataLoss.between(Position.of(Lsn.parse("0/3000010"), T.plusSeconds(91)), reference);
        assertThat(ahead.none()).isTrue();
        assertThat(ahead).hasToString("none");
    }

    @Test
    void unknownPositions_areUnknownLoss_whichExceedsEveryLimit() {
        DataLoss unknown = DataLoss.between(Position.UNKNOWN, Position.of(Lsn.parse("0/1"), T));
        assertThat(unknown).hasToString("unknown");
        assertThat(unknown.known()).isFalse();
        assertThat(unknown.exceeds(Duration.ofDays(365))).isTrue();

        DataLoss bytesOnly = DataLoss.between(new Position(Optional.of(Lsn.parse("0/10")), Optional.empty()),
                new Position(Optional.of(Lsn.parse("0/20")), Optional.empty()));
        assertThat(bytesOnly).hasToString("unknown time, 16 B of WAL");
    }

    @Test
    void longLosses_readAsMinutesAndHours() {
        assertThat(DataLoss.seconds(Duration.ofSeconds(754))).isEqualTo("12m34s");
        assertThat(DataLoss.seconds(Duration.ofMinutes(125))).isEqualTo("2h05m");
    }
}
