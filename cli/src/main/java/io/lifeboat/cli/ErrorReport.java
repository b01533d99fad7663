package io.lifeboat.cli;

import io.lifeboat.core.config.ConfigException;
import io.lifeboat.core.config.ConfigProblem;
import io.lifeboat.core.error.LifeboatException;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Prints what went wrong as the one place that reports an error: a config's problems one per line, any other
 * Lifeboat error as {@code error: …} with an optional {@code hint: …}. Unexpected exceptions get their stack
 * trace logged, since they are bugs.
 */
final class ErrorReport implements CommandLine.IExecutionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ErrorReport.class);

    @Override
    public int handleExecutionException(Exception failure, CommandLine commandLine, CommandLine.ParseResult parse) {
        PrintWriter err = commandLine.getErr();
        if (failure instanceof ConfigException config) {
            config.problems().stream().map(ConfigProblem::toString).forEach(err::println);
        } else if (failure instanceof LifeboatException known) {
            err.println("error: " + known.getMessage());
            known.hint().ifPresent(hint -> err.println("hint: " + hint));
            log.debug("details", failure);
        } else {
            err.println("error: unexpected " + failure.getClass().getSimpleName() + ": " + failure.getMessage());
            err.println("hint: this is a bug in lifeboat; the stack trace follows");
            log.error("unexpected failure", failure);
        }
        err.flush();
        return ExitCode.ERROR.code();
    }
}
