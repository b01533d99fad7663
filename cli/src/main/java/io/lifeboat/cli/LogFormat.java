package io.lifeboat.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import org.slf4j.LoggerFactory;

/** {@code --log-format}: lines for people (the default, from logback.xml) or JSON lines for machines. */
enum LogFormat {
    TEXT, JSON;

    /** Gives every console appender the JSON encoder; text needs nothing, it is how logback.xml starts. */
    void apply() {
        if (this == TEXT || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Set<Appender<ILoggingEvent>> done = new HashSet<>();
        for (ch.qos.logback.classic.Logger logger : context.getLoggerList()) {
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                Appender<ILoggingEvent> appender = it.next();
                if (done.add(appender) && appender instanceof OutputStreamAppender<ILoggingEvent> stream) {
                    JsonLogEncoder encoder = new JsonLogEncoder();
                    encoder.setContext(context);
                    encoder.setFirstLineOnly("libraries".equals(appender.getName()));
                    encoder.start();
                    stream.stop();
                    stream.setEncoder(encoder);
                    stream.start();
                }
            }
        }
    }
}
