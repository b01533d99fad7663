package io.lifeboat.cli.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Alertmanager webhook payload as a receiver reads it across one alert's life, and beside another alert. */
class NotifierTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant START = Instant.parse("2026-12-04T01:00:00Z");
    private static final Instant END = Instant.parse("2026-12-04T01:20:00Z");
    private static final Alert ARCHIVE = new Alert("job_failed:archive", "LifeboatJobFailed", "critical",
            "archive job failed: cannot reach s3 endpoint http://s3.example:9000 (connection refused)", "retried");
    private static final Alert SNAPSHOT = new Alert("job_failed:snapshot", "LifeboatJobFailed", "critical",
            "snapshot job failed: no space left", "retried");

    private static JsonNode post(String kind, Alert alert) throws Exception {
        Optional<Instant> end = kind.equals(Event.RESOLVED) ? Optional.of(END) : Optional.empty();
        return JSON.readTree(Notifier.alertmanagerJson(new Event(kind, alert, START, end, END)));
    }

    @Test
    void anAlertKeepsItsLabelsAndGroup_whetherItFires_isRemindedOf_orResolves() throws Exception {
        JsonNode firing = post(Event.FIRING, ARCHIVE);
        JsonNode reminder = post(Event.REMINDER, ARCHIVE);
        JsonNode resolved = post(Event.RESOLVED, ARCHIVE);
        for (JsonNode post : new JsonNode[] {reminder, resolved}) {
            assertThat(post.path("alerts").path(0).path("labels")).isEqualTo(firing.path("alerts").path(0)
                    .path("labels"));
            assertThat(post.path("alerts").path(0).path("fingerprint")).isEqualTo(firing.path("alerts").path(0)
                    .path("fingerprint"));
            assertThat(post.path("groupKey")).isEqualTo(firing.path("groupKey"));
            assertThat(post.path("groupLabels")).isEqualTo(firing.path("groupLabels"));
        }
        assertThat(firing.path("status").asText()).isEqualTo("firing");
        assertThat(reminder.path("status").asText()).isEqualTo("firing");
        assertThat(resolved.path("status").asText()).isEqualTo("resolved");
        assertThat(resolved.path("alerts").path(0).path("endsAt").asText()).isEqualTo(END.toString());
        // Which of the three a post is, for a receiver that cares: an annotation, not a label.
        assertThat(reminder.path("commonAnnotations").path("event").asText()).isEqualTo("reminder");
        assertThat(firing.path("groupKey").asText())
                .isEqualTo("{}:{alertname=\"LifeboatJobFailed\", key=\"job_failed:archive\"}");
    }

    @Test
    void twoAlertsOfOneName_areTwoGroups_soResolvingOneLeavesTheOtherOpen() throws Exception {
        JsonNode archive = post(Event.RESOLVED, ARCHIVE);
        JsonNode snapshot = post(Event.FIRING, SNAPSHOT);
        assertThat(archive.path("groupKey")).isNotEqualTo(snapshot.path("groupKey"));
        assertThat(archive.path("alerts").path(0).path("fingerprint"))
                .isNotEqualTo(snapshot.path("alerts").path(0).path("fingerprint"));
    }
}
