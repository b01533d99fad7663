package io.lifeboat.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the lifeboat command in this JVM, with what it printed. */
record CommandRun(int exitCode, String out, String err) {
    static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CommandRun(exitCode, out.toString(), err.toString());
    }

    java.util.List<String> errLines() {
        return err.lines().toList();
    }
}
