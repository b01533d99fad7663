package io.lifeboat.cli;

import picocli.CommandLine;

/** Entry point of the {@code lifeboat} command: the only place that calls {@link System#exit}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code; tests call this instead of {@link #main}. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Runs with the given output streams, for tests that read what the command printed. */
    static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new LifeboatCommand());
        commandLine.setExecutionExceptionHandler(new ErrorReport());
        commandLine.setParameterExceptionHandler(new UsageErrorReport());
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        CommandList.install(commandLine);
        return commandLine;
    }
}
