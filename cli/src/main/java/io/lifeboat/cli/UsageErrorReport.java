package io.lifeboat.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** A command line that does not parse: one line saying what is wrong, then where to find help; exit 2. */
final class UsageErrorReport implements CommandLine.IParameterExceptionHandler {
    @Override
    public int handleParseException(CommandLine.ParameterException failure, String[] args) {
        CommandLine commandLine = failure.getCommandLine();
        PrintWriter err = commandLine.getErr();
        if (failure instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            err.println("error: unknown command or argument '" + unmatched.getUnmatched().get(0) + "'");
        } else {
            err.println("error: " + failure.getMessage());
        }
        CommandLine.UnmatchedArgumentException.printSuggestions(failure, err);
        err.println("hint: see '" + commandLine.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return ExitCode.ERROR.code();
    }
}
