package io.lifeboat.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * {@code --log-format json}: one JSON object per line, {@code timestamp} (ISO-8601, UTC), {@code level}, {@code job},
 * {@code logger}, {@code message} and {@code fields} (the event's key-value pairs and any other MDC entry), plus
 * {@code error} for an exception's one-line reason. Logback's own JsonEncoder nests the job under {@code mdc} and
 * the fields in a list, with epoch timestamps; log shippers and {@code jq} read this shape more simply.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] NOTHING = new byte[0];

    private boolean firstLineOnly;

    /** Libraries' messages carry stack traces in their text; Lifeboat says what happened in its own line. */
    public void setFirstLineOnly(boolean firstLineOnly) {
        this.firstLineOnly = firstLineOnly;
    }

    @Override
    public byte[] headerBytes() {
        return NOTHING;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        line.put("level", event.getLevel().toString());
        Map<String, String> mdc = event.getMDCPropertyMap();
        line.put("job", mdc.getOrDefault("job", "main"));
        String logger = event.getLoggerName();
        line.put("logger", logger.substring(logger.lastIndexOf('.') + 1));
        String message = event.getFormattedMessage();
        if (firstLineOnly && message != null) {
            message = message.lines().findFirst().orElse("");
        }
        line.put("message", message);
        Map<String, Object> fields = new LinkedHashMap<>();
        mdc.forEach((key, value) -> {
            if (!key.equals("job")) {
                fields.put(key, value);
            }
        });
        if (event.getKeyValuePairs() != null) {
            for (KeyValuePair pair : event.getKeyValuePairs()) {
                fields.put(pair.key, pair.value);
            }
        }
        line.put("fields", fields);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.put("error", thrown.getClassName() + (thrown.getMessage() == null ? "" : ": "
                    + thrown.getMessage().lines().findFirst().orElse("")));
        }
        try {
            return (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            return ("{\"level\":\"ERROR\",\"message\":\"unloggable event\"}\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public byte[] footerBytes() {
        return NOTHING;
    }
}
