package io.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The "Commands:" section of every group's help: each subcommand with the first sentence of its description.
 * Picocli would show the description's first source line, which in annotations is cut wherever the line was
 * wrapped in the code ("...a small shop schema (one table without a"); a sentence is never cut.
 */
final class CommandList implements CommandLine.IHelpSectionRenderer {
    private static final Pattern FIRST_SENTENCE = Pattern.compile("^(.+?[.!?])(?=\\s+\\p{Lu}|$)");

    /** Renders the command list this way in {@code commandLine} and every command below it. */
    static void install(CommandLine commandLine) {
        commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST,
                new CommandList());
        commandLine.getSubcommands().values().forEach(CommandList::install);
    }

    @Override
    public String render(CommandLine.Help help) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (Map.Entry<String, CommandLine.Help> entry : help.subcommands().entrySet()) {
            CommandLine.Model.UsageMessageSpec usage = entry.getValue().commandSpec().usageMessage();
            if (!usage.hidden()) {
                rows.put(entry.getKey(), summary(usage.description()));
            }
        }
        return rows.isEmpty() ? "" : help.createTextTable(rows).toString();
    }

    /** The first whole sentence of a description given as lines. */
    static String summary(String[] description) {
        String text = String.join(" ", description).replaceAll("\\s+", " ").strip();
        Matcher sentence = FIRST_SENTENCE.matcher(text);
        return sentence.find() ? sentence.group(1) : text;
    }
}
