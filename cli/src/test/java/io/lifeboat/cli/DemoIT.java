package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.process.ExternalCommand;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code lifeboat demo}, the README's first command, end to end in this JVM: every step of the story in order, the
 * recovery through promote-standby, the final proof with nothing missing, and nothing left running or mounted.
 */
class DemoIT {
    @Test
    void demo_tellsTheWholeStory_provesNothingCommittedWasLost_andLeavesNothingBehind() throws Exception {
        long started = System.nanoTime();
        CommandRun run = CommandRun.of("demo");
        double seconds = (System.nanoTime() - started) / 1e9;
        String out = run.out();

        assertThat(run.err()).as(out).isEmpty();
        assertThat(run.exitCode()).as(out).isZero();
        assertThat(out.lines().filter(line -> line.startsWith("== ")).toList()).as(out).containsExactly(
                "== 1. Starting a master and an empty standby (PostgreSQL on 127.0.0.1)…",
                "== 2. Starting an embedded S3 server, where the encrypted archives will go…",
                "== 3. Generating an OpenPGP key pair: the server only ever needs the public key; recovery needs the"
                        + " private one…",
                "== 4. Writing the configuration that ties it all together…",
                "== 5. Starting replication to the standby while the application places orders on the master…",
                "== 6. Taking a snapshot of the master's volume (lifeboat snapshot take)…",
                "== 7. Archiving the standby: compressed, encrypted to the public key, to S3 and copied to a second"
                        + " (filesystem) target (lifeboat archive run)…",
                "== 8. How recoverable are we? (lifeboat status)…",
                "== 9. Now the master's data directory is destroyed while the application is still writing…",
                "== 10. What can we recover from? Every rung of the ladder is probed and checked, nothing is changed"
                        + " (lifeboat recover --auto --dry-run)…",
                "== 11. Recovering (lifeboat recover --auto)…",
                "== 12. The proof: is every order committed before the recovery point in the recovered database?");
        // Each step shows the real command's output, in its place.
        assertThat(out).containsSubsequence(
                "provider: " + (isRoot() ? "btrfs" : "copy"),
                "| snapshot lifeboat-", "locked, synced, snapshotted, unlocked",
                "| backup ", "on s3:primary", "copied to fs:offsite",
                "|   replication              up",
                "its next write failed",
                "| promote-standby         standby 127.0.0.1:",
                "| --auto would take: promote-standby",
                "| recovered from: promote-standby standby 127.0.0.1:",
                "switched.log: the application now uses 127.0.0.1:",
                "demo: the proof holds: nothing committed before the recovery point was lost (total ");
        Matcher proof = Pattern.compile("(\\d+) of (\\d+) transactions committed before the recovery point are present;"
                + " \\d+ written after it were lost \\(\\d+\\.\\d s of writes\\)").matcher(out);
        assertThat(proof.find()).as(out).isTrue();
        assertThat(proof.group(1)).as("none missing").isEqualTo(proof.group(2));
        assertThat(Integer.parseInt(proof.group(2))).as("orders committed before the recovery point").isGreaterThan(300);
        assertThat(seconds).as("the demo's duration").isLessThan(180);

        // Nothing left: no server answers on the ports the demo printed, no process or mount under its directories.
        for (String port : all(out, "127\\.0\\.0\\.1:(\\d+)")) {
            assertThat(answers(Integer.parseInt(port))).as("something still listens on " + port).isFalse();
        }
        List<String> directories = new ArrayList<>(all(out, "its data directory in (\\S+);"));
        directories.addAll(all(out, "   (\\S+)/lifeboat\\.yml:"));
        assertThat(directories).hasSize(2);
        String mounts = Files.readString(Path.of("/proc/mounts"));
        String loops = isRoot() ? ExternalCommand.of("losetup", "-a").timeout(Duration.ofSeconds(10)).run().stdout() : "";
        for (String directory : directories) {
            // The directory on the loop volume sits two levels below the volume's own directory, which holds its file.
            Path root = isRoot() && directory.endsWith("/mnt/demo") ? Path.of(directory).getParent().getParent()
                    : Path.of(directory);
            assertThat(root).doesNotExist();
            assertThat(mounts).doesNotContain(root.toString());
            assertThat(loops).doesNotContain(root.toString());
            assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                    .filter(line -> line.contains(root.toString())).toList()).isEmpty();
        }
    }

    private static List<String> all(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher matcher = Pattern.compile(regex).matcher(text);
        while (matcher.find()) {
            if (!found.contains(matcher.group(1))) {
                found.add(matcher.group(1));
            }
        }
        return found;
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
