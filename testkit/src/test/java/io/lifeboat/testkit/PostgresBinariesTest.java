package io.lifeboat.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.optional;

import io.lifeboat.core.error.LifeboatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresBinariesTest {
    private static final BooleanSupplier NO_DOCKER = () -> false;
    private static final BooleanSupplier DOCKER_NOT_ASKED = () -> {
        throw new AssertionError("docker must not be probed when binaries exist");
    };

    @TempDir
    Path temp;

    @Test
    void system_findsThisMachinesPostgres() {
        Path bin = PostgresBinaries.system().locate();

        assertThat(bin.resolve("initdb")).isExecutable();
        assertThat(bin.resolve("pg_ctl")).isExecutable();
        assertThat(bin.resolve("pg_dump")).isExecutable();
    }

    @Test
    void nothingFoundAndNoDocker_failsWithOneMessageSayingWhatToInstall() {
        PostgresBinaries nowhere = PostgresBinaries.searching(Map.of(), List.of(), NO_DOCKER);

        assertThatThrownBy(() -> PostgresCluster.builder().binaries(nowhere).create())
                .isInstanceOf(LifeboatException.class)
                .hasMessage("no PostgreSQL binaries found (looked in PG_BIN, pg_config --bindir): install package postgresql-15"
                        + " or set PG_BIN")
                .satisfies(e -> assertThat(e.getStackTrace()).isEmpty())
                .extracting(e -> ((LifeboatException) e).hint(), optional(String.class))
                .contains("install PostgreSQL 15 (apt-get install -y postgresql-15) or set PG_BIN");
    }

    @Test
    void nothingFound_namesEverySearchRoot() {
        Path root = temp.resolve("postgresql");

        assertThatThrownBy(() -> PostgresBinaries.searching(Map.of("PATH", temp.toString()), List.of(root), NO_DOCKER)
                .locate())
                .hasMessage("no PostgreSQL binaries found (looked in PG_BIN, pg_config --bindir, " + root + "/*/bin): install"
                        + " package postgresql-15 or set PG_BIN");
    }

    @Test
    void pgBin_comesFirst() throws IOException {
        Path pgBin = fakeBin(temp.resolve("custom"));
        Path root = temp.resolve("postgresql");
        fakeBin(root.resolve("15"));

        assertThat(PostgresBinaries.searching(Map.of("PG_BIN", pgBin.toString()), List.of(root), DOCKER_NOT_ASKED)
                .find()).contains(pgBin);
    }

    @Test
    void pgBinWithoutInitdb_isAnErrorRatherThanAFallback() throws IOException {
        Path empty = Files.createDirectories(temp.resolve("empty"));

        assertThatThrownBy(() -> PostgresBinaries.searching(Map.of("PG_BIN", empty.toString()), List.of(),
                NO_DOCKER).find())
                .isInstanceOf(LifeboatException.class)
                .hasMessage("PG_BIN=" + empty + " does not contain initdb");
    }

    @Test
    void pgConfig_onThePath_comesBeforeTheSearchRoots() throws IOException {
        Path configured = fakeBin(temp.resolve("configured"));
        Path path = Files.createDirectories(temp.resolve("path"));
        executable(path.resolve("pg_config"), "#!/bin/sh\necho " + configured + "\n");
        Path root = temp.resolve("postgresql");
        fakeBin(root.resolve("16"));

        assertThat(PostgresBinaries.searching(Map.of("PATH", path.toString()), List.of(root), DOCKER_NOT_ASKED)
                .find()).contains(configured);
    }

    @Test
    void searchRoot_yieldsTheNewestVersionThatHasInitdb() throws IOException {
        Path root = temp.resolve("postgresql");
        fakeBin(root.resolve("9.6"));
        Path newest = fakeBin(root.resolve("15"));
        fakeBin(root.resolve("10"));
        Files.createDirectories(root.resolve("17/bin"));

        assertThat(PostgresBinaries.searching(Map.of(), List.of(root), DOCKER_NOT_ASKED).find()).contains(newest);
    }

    @Test
    void versionOrder_isNumeric() {
        assertThat(PostgresBinaries.compareVersions("9.6", "10")).isNegative();
        assertThat(PostgresBinaries.compareVersions("15", "9.6")).isPositive();
        assertThat(PostgresBinaries.compareVersions("15", "15")).isZero();
        assertThat(PostgresBinaries.compareVersions("latest", "9.6")).isNegative();
    }

    private static Path fakeBin(Path version) throws IOException {
        Path bin = Files.createDirectories(version.resolve("bin"));
        executable(bin.resolve("initdb"), "#!/bin/sh\nexit 1\n");
        return bin;
    }

    private static void executable(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
