package io.lifeboat.testkit;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.core.process.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether files holding database content are as private as PostgreSQL's data directory: each file 0600, each
 * directory 0700, and another OS user ({@code nobody}) really fails to read the file or list the directory. Root
 * only (it switches user with {@code runuser}).
 */
public final class PrivacyProbe {
    private static final String OTHER_USER = "nobody";

    private PrivacyProbe() {
    }

    /** One line per path that is not private: its mode, or what the other user could read. Empty when all are. */
    public static List<String> exposed(List<Path> paths) {
        if (!OsUser.isRoot()) {
            throw new LifeboatException("reading as another OS user needs root (runuser): run the tests as root");
        }
        List<String> problems = new ArrayList<>();
        for (Path path : paths) {
            boolean directory = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
            String mode;
            try {
                mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the mode of " + path, e);
            }
            String expected = directory ? "rwx------" : "rw-------";
            if (!mode.equals(expected)) {
                problems.add(path + ": " + mode + " (expected " + expected + ")");
            }
            List<String> read = directory ? List.of("ls", "-A", path.toString()) : List.of("head", "-c", "1", path.toString());
            List<String> argv = new ArrayList<>(List.of("runuser", "-u", OTHER_USER, "--"));
            argv.addAll(read);
            ExternalCommand.Result result = ExternalCommand.of(argv).in(Path.of("/")).timeout(Duration.ofSeconds(10))
                    .runAllowingFailure();
            if (result.exitCode() == 0) {
                problems.add(path + ": " + OTHER_USER + " can " + (directory ? "list it" : "read it"));
            } else if (!result.stderr().contains("Permission denied")) {
                // Failing for another reason (no such file, no such user) would prove nothing.
                problems.add(path + ": " + OTHER_USER + "'s read failed for another reason: " + result.stderr().strip());
            }
        }
        return problems;
    }

    public static List<String> exposed(Path... paths) {
        return exposed(List.of(paths));
    }
}
