package io.lifeboat.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DataSizeTest {
    @Test
    void parsesBinaryDecimalAndPlainForms() {
        assertThat(DataSize.parse("4GiB").bytes()).isEqualTo(4L << 30);
        assertThat(DataSize.parse("512 MiB").bytes()).isEqualTo(512L << 20);
        assertThat(DataSize.parse("5GB").bytes()).isEqualTo(5_000_000_000L);
        assertThat(DataSize.parse("1.5KiB").bytes()).isEqualTo(1536);
        assertThat(DataSize.parse("100").bytes()).isEqualTo(100);
    }

    @Test
    void rejectsWhatIsNotASize() {
        assertThatThrownBy(() -> DataSize.parse("4 gigs"))
                .hasMessage("'4 gigs' is not a size (write it like 512MiB, 4GiB or 5GB)");
        assertThatThrownBy(() -> DataSize.parse("-1GiB")).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> DataSize.parse("0.3B")).hasMessage("'0.3B' is not a whole number of bytes");
        assertThatThrownBy(() -> DataSize.parse("99999999TiB")).hasMessage("'99999999TiB' is too large");
    }

    @Test
    void printsTheShortestExactFormThatParsesBack() {
        for (String text : new String[] {"4GiB", "512MiB", "1536B", "3KiB", "0B"}) {
            assertThat(DataSize.parse(text).toString()).isEqualTo(text);
        }
        assertThat(DataSize.parse("1.5GiB").toString()).isEqualTo("1536MiB");
        assertThat(DataSize.parse("1.5GiB").approximate()).isEqualTo("1.5 GiB");
    }
}
