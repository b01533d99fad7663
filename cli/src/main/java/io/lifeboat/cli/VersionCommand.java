package io.lifeboat.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version of lifeboat and of what it runs on.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        for (String line : new VersionText().getVersion()) {
            spec.commandLine().getOut().println(line);
        }
        return ExitCode.OK.code();
    }
}
