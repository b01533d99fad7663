package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code lifeboat} launcher building on first use, as a new user's first {@code ./lifeboat demo}
 * does. The launcher runs the real Maven on a one-class project laid out like this repository (a {@code cli} module
 * that makes {@code cli/target/lifeboat.jar}, inheriting the real parent pom): the same build line, in seconds
 * instead of the minutes the whole project takes.
 */
class LauncherBuildIT {
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path root;

    @Test
    void firstRun_printsOnlyTheBuildingLineBeforeTheCommandsOutput() throws IOException {
        Files.copy(REPOSITORY.resolve("lifeboat"), root.resolve("lifeboat"));
        Files.setPosixFilePermissions(root.resolve("lifeboat"), PosixFilePermissions.fromString("rwxr-xr-x"));
        // The repository's ./test installs what is missing; here a stand-in records that it was asked to.
        Files.writeString(root.resolve("test"), "#!/bin/sh\necho \"$*\" > " + root.resolve("test.called") + "\n");
        Files.setPosixFilePermissions(root.resolve("test"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("pom.xml"), """
                <project>
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>io.lifeboat</groupId><artifactId>lifeboat-parent</artifactId><version>0.1.0-SNAPSHOT</version>
                    <relativePath>%s</relativePath>
                  </parent>
                  <artifactId>launcher-probe</artifactId>
                  <packaging>pom</packaging>
                  <modules><module>cli</module></modules>
                </project>
                """.formatted(root.relativize(REPOSITORY.resolve("pom.xml"))));  // Maven takes only a relative one
        Path cli = Files.createDirectories(root.resolve("cli"));
        Files.writeString(cli.resolve("pom.xml"), """
                <project>
                  <modelVersion>4.0.0</modelVersion>
                  <parent><groupId>io.lifeboat</groupId><artifactId>launcher-probe</artifactId><version>0.1.0-SNAPSHOT</version></parent>
                  <artifactId>launcher-probe-cli</artifactId>
                  <build>
                    <finalName>lifeboat</finalName>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId>
                        <configuration><archive><manifest><mainClass>probe.Main</mainClass></manifest></archive></configuration>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """);
        Path source = Files.createDirectories(cli.resolve("src/main/java/probe"));
        Files.writeString(source.resolve("Main.java"), """
                package probe;

                public class Main {
                    public static void main(String[] args) {
                        System.out.println("probe ran: " + String.join(" ", args));
                    }
                }
                """);

        ExternalCommand.Result result = ExternalCommand.of(root.resolve("lifeboat").toString(), "version")
                .in(root).env("MAVEN_OPTS", "").timeout(Duration.ofMinutes(3)).runAllowingFailure();

        assertThat(result.stderr())
                .isEqualTo("lifeboat: building (mvn -DskipTests package); this happens once after each change\n");
        assertThat(result.stdout()).isEqualTo("probe ran: version\n");
        assertThat(result.exitCode()).isZero();
        assertThat(Files.readString(root.resolve("test.called"))).isEqualTo("--install-only\n");
    }
}
