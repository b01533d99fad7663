package io.lifeboat.recovery.rungs;

import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.snapshotter.provider.CommandTemplate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An operator's hook ({@code recovery.fence_command}, {@code recovery.switch_command}): split into words first, then
 * placeholders such as {@code {host}} filled in each word, so a value never becomes shell syntax. Run with a bound.
 */
public final class HookCommand {
    private static final Duration LIMIT = Duration.ofMinutes(5);

    private HookCommand() {
    }

    /** Runs the hook; returns its result, whatever its exit code (only a timeout throws). */
    public static ExternalCommand.Result run(String template, Map<String, String> values) {
        List<String> argv = new CommandTemplate(template).argv(values);
        return ExternalCommand.of(argv).timeout(LIMIT).runAllowingFailure();
    }

    /** The last line it printed on stderr (else stdout), for the one-line error. */
    public static String lastLine(ExternalCommand.Result result) {
        String text = (result.stderr().isBlank() ? result.stdout() : result.stderr()).strip();
        return text.isEmpty() ? "" : ": " + text.substring(text.lastIndexOf('\n') + 1).strip();
    }
}
