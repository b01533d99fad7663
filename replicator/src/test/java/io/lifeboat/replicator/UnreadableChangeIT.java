package io.lifeboat.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lifeboat.core.config.DataSize;
import io.lifeboat.core.config.ReplicationConfig;
import io.lifeboat.replicator.status.ReplicationStatus;
import io.lifeboat.replicator.status.StatusReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A change Debezium cannot parse: an interval over 2^31-1 hours, which PostgreSQL stores and sends but pgjdbc's
 * {@code PGInterval}, which Debezium parses every interval into before any converter runs, holds in an int. It is
 * real: nothing in the test forces the failure, and no setting of Debezium lets the value through
 * ({@code event.processing.failure.handling.mode} would drop the whole change silently). Only that table pauses,
 * with the cause, the others go on (a row of the same master transaction too), and it resumes from a fresh copy,
 * which carries the value exactly.
 */
class UnreadableChangeIT {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String CAUSE = "cannot be read by Debezium (column d interval: Conversion of interval failed:"
            + " For input string: \"2147483648\")";

    private ClusterPair pair;
    private BackgroundReplication replication;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void start() {
        pair = new ClusterPair();
        pair.schema("""
                create table good (id int primary key, v text);
                create table bad (id int primary key, d interval);
                """);
        pair.master.execute("app", "insert into good values (1, 'one'); insert into bad values (1, '1 day')");
        logged.start();
        ((Logger) LoggerFactory.getLogger(SchemaWatch.class)).addAppender(logged);
        replication = new Replicator(ClusterPair.config(pair.master), config(),
                ReplicatorIT.dataSource(pair.master), ReplicatorIT.dataSource(pair.standby)).startInBackground();
        awaitEqual("select * from good order by id");
        awaitEqual("select * from bad order by id");
    }

    @AfterEach
    void stop() throws InterruptedException {
        ((Logger) LoggerFactory.getLogger(SchemaWatch.class)).detachAppender(logged);
        try {
            if (replication != null) {
                replication.close();
            }
        } finally {
            pair.close();
        }
    }

    @Test
    void anIntervalDebeziumCannotParse_pausesOnlyItsTable_andItResumesFromAFreshCopy() throws Exception {
        pair.master.execute("app", "begin; insert into good values (2, 'same transaction');"
                + " insert into bad values (2, interval '2147483648 hours'); commit");
        pair.master.execute("app", "insert into good values (3, 'after')");

        String reason = awaitPaused();
        assertThat(reason).matches("public\\.bad: a change at [0-9A-F]+/[0-9A-F]+ \\Q" + CAUSE + "\\E");
        assertThat(errors()).containsExactly(reason + "; the table is paused, the others go on");
        try (Connection m = pair.master.connect("app"); Connection s = pair.standby.connect("app")) {
            ReplicationStatus status = StatusReader.read(config(), m, s);
            assertThat(status.problems()).contains("public.bad paused: " + reason.substring("public.bad: ".length()));
        }

        // The other table goes on: the row written with the bad one in the same transaction, and rows after it.
        for (int id = 4; id <= 8; id++) {
            pair.master.execute("app", "insert into good values (" + id + ", 'while paused')");
        }
        awaitEqual("select * from good order by id");
        assertThat(ClusterPair.rows(pair.standby, "select count(*) from lifeboat.paused_table")).containsExactly("1");

        // After its wait the table streams again and is copied whole: the value the stream could not carry is there.
        eventually(() -> ClusterPair.rows(pair.standby, "select count(*) from lifeboat.paused_table")
                .equals(List.of("0")));
        pair.master.execute("app", "insert into bad values (3, '2 days')");
        awaitEqual("select id, d::text from bad order by id");
        assertThat(ClusterPair.rows(pair.standby, "select d::text from bad where id = 2"))
                .containsExactly("2147483648:00:00");

        // The same again pauses it again, and waits longer before the next resume.
        logged.list.clear();
        pair.master.execute("app", "update bad set d = d + interval '1 hour' where id = 2");
        pair.master.execute("app", "insert into good values (9, 'after the second')");
        String again = awaitPaused();
        assertThat(again).matches("public\\.bad: a change at [0-9A-F]+/[0-9A-F]+ cannot be read by Debezium"
                + " \\(column d interval: Conversion of interval failed: For input string: \"2147483649\"\\)");
        awaitEqual("select * from good order by id");
        assertThat(replication.failure()).isEmpty();
    }

    private List<String> errors() {
        return List.copyOf(logged.list).stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private String awaitPaused() {
        String query = "select reason from lifeboat.paused_table where table_name = 'public.bad'";
        eventually(() -> ClusterPair.rows(pair.standby, query).size() == 1);
        return ClusterPair.rows(pair.standby, query).get(0);
    }

    private static ReplicationConfig config() {
        return new ReplicationConfig("lifeboat", "lifeboat", List.of(), List.of(), List.of(), Duration.ofSeconds(2),
                20_000, Duration.ofMillis(100), DataSize.ofGibibytes(10));
    }

    private void awaitEqual(String query) {
        eventually(() -> ClusterPair.rows(pair.standby, query).equals(ClusterPair.rows(pair.master, query)));
        assertThat(ClusterPair.rows(pair.standby, query)).isEqualTo(ClusterPair.rows(pair.master, query));
    }

    private void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (replication.failure().isPresent()) {
                throw new AssertionError("replication failed", replication.failure().get());
            }
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
