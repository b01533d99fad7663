package io.lifeboat.cli;

import io.lifeboat.core.config.ConfigException;
import io.lifeboat.core.config.ConfigProblem;
import io.lifeboat.core.error.LifeboatException;
import io.lifeboat.replicator.setup.MasterPrerequisites;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.Optional;
import org.postgresql.util.PSQLException;
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
        Optional<SQLException> denied = permissionDenied(failure);
        if (failure instanceof ConfigException config) {
            config.problems().stream().map(ConfigProblem::toString).forEach(err::println);
        } else if (failure instanceof MasterPrerequisites.UnmetPrerequisites unmet) {
            unmet.lines().forEach(line -> err.println("error: " + line));
            log.debug("details", failure);
        } else if (failure instanceof LifeboatException known) {
            err.println("error: " + known.getMessage());
            known.hint().ifPresent(hint -> err.println("hint: " + hint));
            log.debug("details", failure);
        } else if (denied.isPresent()) {
            // A privilege the checks before the work did not foresee (or one revoked since): the server's own words
            // name the object; not a bug in Lifeboat.
            err.println("error: " + firstLine(denied.get()));
            err.println("hint: grant it to the configured user; lifeboat config check --connect lists every"
                    + " privilege sync run needs");
            log.debug("details", failure);
        } else {
            err.println("error: unexpected " + failure.getClass().getSimpleName() + ": " + failure.getMessage());
            err.println("hint: this is a bug in lifeboat; the stack trace follows");
            log.error("unexpected failure", failure);
        }
        err.flush();
        return ExitCode.ERROR.code();
    }

    /** SQLState 42501 (insufficient_privilege) anywhere in the causes. */
    private static Optional<SQLException> permissionDenied(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "42501".equals(sql.getSQLState())) {
                return Optional.of(sql);
            }
        }
        return Optional.empty();
    }

    private static String firstLine(SQLException failure) {
        if (failure instanceof PSQLException psql && psql.getServerErrorMessage() != null
                && psql.getServerErrorMessage().getMessage() != null) {
            return psql.getServerErrorMessage().getMessage();
        }
        return String.valueOf(failure.getMessage()).lines().findFirst().orElse("");
    }
}
