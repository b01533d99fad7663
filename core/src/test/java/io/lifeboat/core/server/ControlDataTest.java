package io.lifeboat.core.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.db.Lsn;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlDataTest {
    private static final String OUTPUT = """
            pg_control version number:            1300
            Catalog version number:               202209061
            Database system identifier:           7311436040321599519
            Database cluster state:               in production
            pg_control last modified:             Sun Nov  2 02:57:21 2026
            Latest checkpoint location:           0/1D67080
            Latest checkpoint's REDO location:    0/1D67048
            Latest checkpoint's REDO WAL file:    000000010000000000000001
            Latest checkpoint's TimeLineID:       1
            Time of latest checkpoint:            Sun Nov  2 02:57:20 2026
            Data page checksum version:           1
            """;

    @Test
    void parse_readsStateIdentityPositionsAndTime() {
        ControlData data = ControlData.parse(OUTPUT);
        assertThat(data.state()).isEqualTo("in production");
        assertThat(data.needsCrashRecovery()).isTrue();
        assertThat(data.cleanlyShutDown()).isFalse();
        assertThat(data.systemIdentifier()).isEqualTo("7311436040321599519");
        assertThat(data.timeline()).isEqualTo(1);
        assertThat(data.checkpointLsn()).isEqualTo(Lsn.parse("0/1D67080"));
        assertThat(data.redoLsn()).isEqualTo(Lsn.parse("0/1D67048"));
        assertThat(data.checkpointTime()).contains(Instant.parse("2026-11-02T02:57:20Z"));
        assertThat(data.checksumsEnabled()).isTrue();
    }

    @Test
    void parse_twoDigitDayAndCleanShutdown() {
        ControlData data = ControlData.parse(OUTPUT.replace("in production", "shut down")
                .replace("Sun Nov  2 02:57:20 2026", "Sun Nov 22 02:57:20 2026")
                .replace("Data page checksum version:           1", "Data page checksum version:           0"));
        assertThat(data.cleanlyShutDown()).isTrue();
        assertThat(data.checkpointTime()).contains(Instant.parse("2026-11-22T02:57:20Z"));
        assertThat(data.checksumsEnabled()).isFalse();
    }

    @Test
    void parse_withoutState_namesTheMissingLabel() {
        assertThatThrownBy(() -> ControlData.parse("Database system identifier: 1\n"))
                .hasMessage("pg_controldata printed no 'Database cluster state'");
    }

    @Test
    void commandLineSettings_areSingleQuotedWordsForPgCtlsShell() {
        assertThat(PostgresServer.commandLineSettings(Map.of("listen_addresses", "")))
                .isEqualTo("-c 'listen_addresses='");
        assertThat(PostgresServer.commandLineSettings(Map.of("unix_socket_directories", "/tmp/it's")))
                .isEqualTo("-c 'unix_socket_directories=/tmp/it'\"'\"'s'");
        assertThatThrownBy(() -> PostgresServer.commandLineSettings(Map.of("port; rm -rf /", "1")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
