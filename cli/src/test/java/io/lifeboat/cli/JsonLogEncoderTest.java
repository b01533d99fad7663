package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class JsonLogEncoderTest {
    @Test
    void encode_writesOneObjectPerLineWithJobAndFields() throws Exception {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("x", context.getLogger("io.lifeboat.cli.service.JobLoop"), Level.INFO,
                "{}: succeeded in {}", null, new Object[] {"archive", "1.2 s"});
        event.setMDCPropertyMap(Map.of("job", "archive"));
        event.addKeyValuePair(new KeyValuePair("duration_ms", 1200L));
        event.addKeyValuePair(new KeyValuePair("outcome", "succeeded"));
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.start();

        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

        assertThat(line).endsWith("}\n").doesNotContain("\n{");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("job").asText()).isEqualTo("archive");
        assertThat(json.path("logger").asText()).isEqualTo("JobLoop");
        assertThat(json.path("message").asText()).isEqualTo("archive: succeeded in 1.2 s");
        assertThat(json.path("fields").path("duration_ms").asLong()).isEqualTo(1200);
        assertThat(json.path("fields").path("outcome").asText()).isEqualTo("succeeded");
    }
}
