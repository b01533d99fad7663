package io.lifeboat.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.slf4j.LoggerFactory;

/** One run of the lifeboat command in this JVM, with what it printed. */
record CommandRun(int exitCode, String out, String err) {
    static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // -v sets the root logger to DEBUG for the rest of the JVM, as it should for a command; here the JVM runs every
        // test after this one, whose S3 traffic would then be logged byte by byte (over a million lines a class).
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level level = root.getLevel();
        int exitCode;
        try {
            exitCode = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        } finally {
            root.setLevel(level);
        }
        return new CommandRun(exitCode, out.toString(), err.toString());
    }

    java.util.List<String> errLines() {
        return err.lines().toList();
    }
}
