package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A file Lifeboat must read but may not: the message gives the operating system's reason, not the path a second
 * time. Root cannot be refused a read, so the command runs as user {@code nobody}.
 */
@Tag("root")
class UnreadableFilesIT {
    @Test
    void aPasswordFileOfAnotherUser_isPermissionDenied() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "lifeboat-unreadable-");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path secret = dir.resolve("master.pass");
            Files.writeString(secret, "hunter2\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            Path config = dir.resolve("lifeboat.yml");
            Files.writeString(config, """
                    master:
                      host: 127.0.0.1
                      database: shop
                      user: lifeboat
                      password_file: master.pass
                    standby:
                      host: 127.0.0.1
                      database: shop
                      user: lifeboat
                    """);
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
            Path jar = Path.of("target", "lifeboat.jar").toAbsolutePath();

            ExternalCommand.Result check = ExternalCommand.of("runuser", "-u", "nobody", "--", "java", "-jar",
                    jar.toString(), "-c", config.toString(), "config", "check").in(Path.of("/"))
                    .timeout(Duration.ofMinutes(1)).runAllowingFailure();

            assertThat(check.exitCode()).isEqualTo(2);
            assertThat(check.stdout() + check.stderr()).contains("lifeboat.yml:5: master.password_file: cannot read "
                    + secret + " (permission denied)");
        } finally {
            ExternalCommand.of("rm", "-rf", dir.toString()).run();
        }
    }
}
