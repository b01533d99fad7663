package io.lifeboat.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "config", mixinStandardHelpOptions = true, description = "Work with the config file.",
        subcommands = ConfigCheckCommand.class)
final class ConfigCommand extends CommandGroup {
    @ParentCommand
    LifeboatCommand root;
}
