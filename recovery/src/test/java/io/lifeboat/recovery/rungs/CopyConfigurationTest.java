package io.lifeboat.recovery.rungs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CopyConfigurationTest {
    @TempDir
    Path dir;

    @Test
    void settingsPointingOutsideTheCopy_areCommentedOut_othersKept() throws IOException {
        Files.writeString(dir.resolve("postgresql.conf"), """
                data_directory = '/var/lib/postgresql/15/main'
                  hba_file='/etc/postgresql/15/main/pg_hba.conf'
                # ident_file = 'already a comment'
                shared_buffers = 128MB
                external_pid_file '/run/postgresql/15-main.pid'
                """);
        CopyConfiguration.keepInside(dir);
        assertThat(Files.readAllLines(dir.resolve("postgresql.conf"))).containsExactly(
                "# lifeboat recover: points outside this copy: data_directory = '/var/lib/postgresql/15/main'",
                "# lifeboat recover: points outside this copy:   hba_file='/etc/postgresql/15/main/pg_hba.conf'",
                "# ident_file = 'already a comment'",
                "shared_buffers = 128MB",
                "# lifeboat recover: points outside this copy: external_pid_file '/run/postgresql/15-main.pid'");
    }
}
