package io.lifeboat.core.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {
    @Test
    void parsesAndPrintsPostgresForm() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.value()).isEqualTo(0x16B374D848L);
        assertThat(lsn).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.ZERO);
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF")).hasToString("FFFFFFFF/FFFFFFFF");
    }

    @Test
    void comparesAsUnsigned() {
        assertThat(Lsn.parse("FFFFFFFF/0").isAfter(Lsn.parse("1/0"))).isTrue();
        assertThat(Lsn.parse("1/10").bytesSince(Lsn.parse("1/0"))).isEqualTo(16);
    }

    @Test
    void rejectsWhatIsNotAnLsn() {
        for (String bad : new String[] {"", "16", "/1", "1/", "x/1", "100000000/0", "-1/0"}) {
            assertThatThrownBy(() -> Lsn.parse(bad)).hasMessageContaining("is not an LSN");
        }
    }
}
