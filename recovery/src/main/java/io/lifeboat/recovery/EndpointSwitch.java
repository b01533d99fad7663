package io.lifeboat.recovery;

import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.core.process.ExternalCommand;
import io.lifeboat.recovery.rungs.HookCommand;
import java.util.Map;
import java.util.Optional;

/**
 * {@code recovery.switch_command}: points applications at the recovered database (DNS, pgbouncer, a VIP) with
 * {@code {host} {port} {database} {rung}}. A failing switch leaves the database up; it is reported, not undone.
 */
public final class EndpointSwitch {
    private EndpointSwitch() {
    }

    /** What the switch did: its exit code and its last line, or why it could not run. */
    public record Result(String command, int exitCode, String lastLine) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public static Optional<Result> run(RecoveryContext context, Assessment taken, Recovered recovered) {
        Optional<String> command = context.recovery().switchCommand();
        if (command.isEmpty()) {
            return Optional.empty();
        }
        try {
            ExternalCommand.Result result = HookCommand.run(command.get(), Map.of("host", recovered.host(),
                    "port", Integer.toString(recovered.port()), "database", recovered.database(), "rung", taken.rung()));
            return Optional.of(new Result(command.get(), result.exitCode(), HookCommand.lastLine(result)
                    .replaceFirst("^: ", "")));
        } catch (LifeboatException | IllegalArgumentException e) {
            return Optional.of(new Result(command.get(), -1, e.getMessage()));
        }
    }
}
