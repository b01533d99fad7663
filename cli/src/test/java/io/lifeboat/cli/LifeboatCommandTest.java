package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifeboatCommandTest {
    @TempDir
    Path dir;

    private Path config(String text) throws IOException {
        Path file = dir.resolve("lifeboat.yml");
        Files.writeString(file, text);
        return file;
    }

    private static final String VALID = """
            master: {host: 10.0.0.5, database: app, user: lifeboat}
            standby: {host: 10.0.0.6, database: app, user: lifeboat, password: "${STANDBY_PW:-not-from-env}"}
            """;

    @Test
    void everyHelpsCommandList_givesEachCommandAWholeSentence() {
        java.util.List<picocli.CommandLine> groups = new java.util.ArrayList<>();
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.commandLine()));
        while (!todo.isEmpty()) {
            picocli.CommandLine command = todo.pop();
            if (!command.getSubcommands().isEmpty()) {
                groups.add(command);
                todo.addAll(command.getSubcommands().values());
            }
        }
        assertThat(groups).hasSizeGreaterThanOrEqualTo(5);
        for (picocli.CommandLine group : groups) {
            String usage = group.getUsageMessage(picocli.CommandLine.Help.Ansi.OFF);
            String list = usage.substring(usage.indexOf("Commands:\n") + "Commands:\n".length());
            // Each entry: "  name   text", continued on deeper-indented lines; joined, it must end a sentence.
            java.util.Map<String, String> entries = new java.util.LinkedHashMap<>();
            String current = null;
            for (String line : list.lines().toList()) {
                if (line.isBlank()) {
                    break;
                }
                if (line.matches("  \\S.*")) {
                    current = line.strip().split("\\s+", 2)[0];
                    entries.put(current, line.strip().substring(current.length()).strip());
                } else if (current != null) {
                    entries.merge(current, line.strip(), (a, b) -> a + " " + b);
                }
            }
            assertThat(entries.keySet()).as(group.getCommandName()).containsExactlyInAnyOrderElementsOf(
                    group.getSubcommands().keySet());
            entries.forEach((name, text) -> assertThat(text).as(group.getCommandName() + " " + name)
                    .matches(".*[.!?]"));
        }
        String top = Main.commandLine().getUsageMessage(picocli.CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
        assertThat(top).contains("demo The whole story on embedded parts, narrated: a master (on a btrfs loop volume as"
                + " root) and a standby, an S3 server, a key pair; replication under a write load, a snapshot, an"
                + " encrypted archive to S3 and a second target, status; then the master's data directory is destroyed"
                + " while the application writes, and recover --auto brings the database back. status ");
    }

    @Test
    void badConfigWithThreeMistakes_printsThreeLinesAndExits2() throws IOException {
        Path file = config("""
                master:
                  host: 10.0.0.5
                  port: seventy
                  database: app
                  user: lifeboat
                standby:
                  host: 10.0.0.6
                  database: app
                  user: lifeboat
                  sslmode: sometimes
                archive:
                  chunk_size: 6GiB
                """);
        CommandRun run = CommandRun.of("-c", file.toString(), "config", "check");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).containsExactly(
                "lifeboat.yml:3: master.port: 'seventy' is not a whole number",
                "lifeboat.yml:10: standby.sslmode: 'sometimes' is not one of disable, allow, prefer, require,"
                        + " verify-ca, verify-full",
                "lifeboat.yml:12: archive.chunk_size: 6GiB is over the 5 GiB limit");
    }

    @Test
    void validConfig_printsTheEffectiveConfigAndExits0() throws IOException {
        CommandRun run = CommandRun.of("-c", config(VALID.replace("not-from-env", "${X:-}x")).toString(),
                "config", "check");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("# " + dir.resolve("lifeboat.yml") + ": valid\n")
                .contains("  port: 5432\n", "  sslmode: prefer\n", "chunk_size: 4GiB", "password: '***'")
                .doesNotContain("${X");
    }

    @Test
    void configWithWarnings_exits1AndMasksThePassword() throws IOException {
        CommandRun run = CommandRun.of("config", "check", "-c",
                config(VALID.replace("\"${STANDBY_PW:-not-from-env}\"", "hunter2")).toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("# " + dir.resolve("lifeboat.yml") + ": valid, 1 warning\n")
                .doesNotContain("hunter2");
        assertThat(run.errLines()).containsExactly("lifeboat.yml:2: warning: standby.password: written in the config"
                + " file itself; prefer password_file or ${ENV_VAR}");
    }

    @Test
    void missingConfigFile_isOneLineAndExit2() {
        CommandRun run = CommandRun.of("-c", dir.resolve("nope.yml").toString(), "config", "check");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("nope.yml: cannot read the config file (no such file)");
    }

    @Test
    void helpWorksOnEveryLevel() {
        for (String[] args : new String[][] {{"--help"}, {"config", "--help"}, {"config", "check", "--help"},
            {"catalog", "--help"}, {"sync", "--help"}, {"sync", "run", "--help"}, {"sync", "validate", "--help"}, {"sync", "resync", "--help"},
            {"sync", "status", "--help"}, {"sync", "fullcopy", "--help"}, {"sync", "sequences", "--help"}, {"demo", "--help"}, {"catalog", "migrate", "--help"}, {"catalog", "status", "--help"},
            {"version", "--help"}, {"status", "--help"}, {"run", "--help"}, {"recover", "--help"}}) {
            CommandRun run = CommandRun.of(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isZero();
            assertThat(run.out()).as(String.join(" ", args)).startsWith("Usage: lifeboat");
        }
        assertThat(CommandRun.of("--help").out().replaceAll("\\s+", " ")).contains("config", "catalog", "version",
                "status", "run", "Exit codes: 0 ok, 1 warning, 2 error or bad input; status: 2 critical, 3 unknown;"
                        + " archive verify: 3 a target did not answer.");
    }

    @Test
    void missingOrUnknownCommand_isAUsageErrorWithExit2() {
        CommandRun none = CommandRun.of();
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.errLines()).containsExactly("error: missing command", "hint: see 'lifeboat --help'");

        CommandRun group = CommandRun.of("config");
        assertThat(group.exitCode()).isEqualTo(2);
        assertThat(group.errLines()).containsExactly("error: missing command", "hint: see 'lifeboat config --help'");

        CommandRun unknown = CommandRun.of("frobnicate");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).first().isEqualTo("error: unknown command or argument 'frobnicate'");
    }

    @Test
    void version_namesLifeboatJavaAndTheDriver() {
        CommandRun run = CommandRun.of("version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out().lines().toList()).hasSize(3)
                .satisfies(lines -> assertThat(lines.get(0)).matches("lifeboat \\d+\\.\\d+\\.\\d+.*"))
                .satisfies(lines -> assertThat(lines.get(1)).startsWith("java 17"))
                .satisfies(lines -> assertThat(lines.get(2)).startsWith("postgresql-jdbc 42."));
        assertThat(CommandRun.of("--version").out()).isEqualTo(run.out());
    }
}
