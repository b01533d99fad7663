package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's test command, {@code ./test}, on a machine that lacks the tools the suite needs: a {@code PATH}
 * holding only the shell tools the script itself uses, plus recording stand-ins for {@code apt-get} and {@code mvn}
 * (the real ones would change this machine and run the whole suite).
 */
class SuiteScriptTest {
    private static final Path SCRIPT = Path.of("..", "test").toAbsolutePath().normalize();
    private static final String ALL_TOOLS = "btrfs-progs gnupg zstd mount e2fsprogs util-linux procps";

    @TempDir
    Path temp;
    private Path bin;
    private Path postgres;

    @BeforeEach
    void freshMachine() throws IOException {
        bin = Files.createDirectories(temp.resolve("bin"));
        for (String tool : List.of("bash", "dirname", "grep", "mkdir", "java", "javac")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of(which(tool)));
        }
        stub("id", "echo 0");
        stub("apt-get", "echo \"$*\" >>" + temp.resolve("apt.log"));
        stub("mvn", "echo \"$* | $MAVEN_OPTS\" >>" + temp.resolve("mvn.log"));
        // PostgreSQL counts as installed: its package would also make the script edit /etc/postgresql-common.
        postgres = Files.createDirectories(temp.resolve("pg"));
        for (String program : List.of("initdb", "pg_waldump", "pg_dump", "psql")) {
            executable(postgres.resolve(program), "#!/bin/sh\n");
        }
    }

    @Test
    void missingTools_areInstalledThenTheSuiteRuns() throws IOException {
        ExternalCommand.Result result = run("-pl", "core");

        assertThat(result.stderr()).isEqualTo("test: installing " + ALL_TOOLS + "\n");
        assertThat(Files.readAllLines(temp.resolve("apt.log"))).containsExactly(
                "update -qq", "install -y -qq --no-install-recommends " + ALL_TOOLS);
        assertThat(Files.readAllLines(temp.resolve("mvn.log")))
                .containsExactly("-B verify -pl core | -Djansi.noreset=true ");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void installOnly_installsAndRunsNoTests() throws IOException {
        ExternalCommand.Result result = run("--install-only");

        assertThat(result.stderr()).isEqualTo("test: installing " + ALL_TOOLS + "\n");
        assertThat(Files.readAllLines(temp.resolve("apt.log"))).containsExactly(
                "update -qq", "install -y -qq --no-install-recommends " + ALL_TOOLS);
        assertThat(temp.resolve("mvn.log")).doesNotExist();
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void aPackageThatCannotBeInstalled_isNamedAndTheOthersAreStillInstalled() throws IOException {
        stub("apt-get", "echo \"$*\" >>" + temp.resolve("apt.log") + "; case \"$*\" in *zstd*) exit 100;; esac");

        ExternalCommand.Result result = run();

        assertThat(result.stderr()).isEqualTo("test: installing " + ALL_TOOLS + "\n"
                + "test: cannot install zstd (apt-get failed); the tests that need them will fail\n");
        assertThat(Files.readAllLines(temp.resolve("apt.log")))
                .contains("install -y -qq --no-install-recommends btrfs-progs", "install -y -qq --no-install-recommends gnupg");
        assertThat(Files.readAllLines(temp.resolve("mvn.log"))).containsExactly("-B verify | -Djansi.noreset=true ");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void notRoot_namesWhatToInstallAndRunsTheSuite() throws IOException {
        stub("id", "echo 1000");

        ExternalCommand.Result result = run();

        assertThat(result.stderr()).isEqualTo("test: missing " + ALL_TOOLS + "; as root: apt-get install " + ALL_TOOLS
                + "\n");
        assertThat(temp.resolve("apt.log")).doesNotExist();
        assertThat(Files.readAllLines(temp.resolve("mvn.log"))).containsExactly("-B verify | -Djansi.noreset=true ");
    }

    @Test
    void noMaven_isOneLineAndExit2() throws IOException {
        Files.delete(bin.resolve("mvn"));
        stub("id", "echo 1000");

        ExternalCommand.Result result = run();

        assertThat(result.stderr().lines().toList()).last().isEqualTo(
                "test: mvn is not installed, so no test can run; as root: apt-get install maven openjdk-17-jdk-headless");
        assertThat(result.exitCode()).isEqualTo(2);
    }

    private ExternalCommand.Result run(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of(SCRIPT.toString()));
        argv.addAll(List.of(args));
        return ExternalCommand.of(argv).env("PATH", bin.toString()).env("PG_BIN", postgres.toString())
                .env("MAVEN_OPTS", "").timeout(Duration.ofSeconds(30)).runAllowingFailure();
    }

    private void stub(String name, String body) throws IOException {
        executable(bin.resolve(name), "#!/bin/sh\n" + body + "\n");
    }

    private static void executable(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String which(String tool) {
        return ExternalCommand.of("sh", "-c", "command -v \"$1\"", "sh", tool).run().stdout().strip();
    }
}
