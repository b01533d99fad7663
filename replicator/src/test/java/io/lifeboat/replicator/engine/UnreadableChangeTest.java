package io.lifeboat.replicator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.util.Strings;
import io.lifeboat.replicator.schema.TableName;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/** The pieces that find and pass over a change Debezium cannot read, without servers. */
class UnreadableChangeTest {
    @Test
    void theExcludePattern_matchesExactlyItsTable_throughDebeziumsOwnListParsing() {
        TableName odd = new TableName("public", "Order Lines, v2.(old)");
        String list = EngineProperties.pattern(new TableName("public", "t")) + "," + EngineProperties.pattern(odd);
        List<Pattern> patterns = Strings.listOfRegex(list, Pattern.CASE_INSENSITIVE);
        assertThat(patterns).hasSize(2);
        assertThat(patterns.get(0).matcher("public.t").matches()).isTrue();
        assertThat(patterns.get(0).matcher("public.t2").matches()).isFalse();
        assertThat(patterns.get(0).matcher("publicXt").matches()).isFalse();
        assertThat(patterns.get(1).matcher("public.Order Lines, v2.(old)").matches()).isTrue();
        assertThat(patterns.get(1).matcher("public.Order Lines, v2X(old)").matches()).isFalse();
    }

    @Test
    void aParseFailureIsADataError_aLostConnectionIsNot() {
        Throwable parse = null;
        try {
            new PGInterval("2147483648:00:00");
        } catch (SQLException e) {
            parse = new ConnectException("Error while processing event", new ConnectException(e));
        }
        assertThat(parse).isNotNull();
        assertThat(ChangeReplay.mayBeUnreadable(parse)).isTrue();
        assertThat(ChangeReplay.mayBeUnreadable(new ConnectException("stopped",
                new PSQLException("gone", PSQLState.CONNECTION_FAILURE)))).isFalse();
        assertThat(ChangeReplay.mayBeUnreadable(new IllegalStateException("a bug"))).isFalse();
    }

    @Test
    void pgoutputMessages_nameTheTableAndCarryEveryValueOfBothTuples() throws IOException {
        byte[] relation = message(out -> {
            out.writeByte('R');
            out.writeInt(16384);
            string(out, "public");
            string(out, "bad");
            out.writeByte('d');
            out.writeShort(2);
            out.writeByte(1);
            string(out, "id");
            out.writeInt(23);
            out.writeInt(-1);
            out.writeByte(0);
            string(out, "d");
            out.writeInt(1186);
            out.writeInt(-1);
        });
        Map<Integer, PgOutputMessage.Relation> relations = new HashMap<>();
        PgOutputMessage.Relation read = PgOutputMessage.relation(relation).orElseThrow();
        relations.put(read.id(), read);
        assertThat(read.table()).isEqualTo(new TableName("public", "bad"));

        byte[] update = message(out -> {
            out.writeByte('U');
            out.writeInt(16384);
            out.writeByte('O');
            out.writeShort(2);
            text(out, "2");
            out.writeByte('n');
            out.writeByte('N');
            out.writeShort(2);
            text(out, "2");
            text(out, "2147483648:00:00");
        });
        PgOutputMessage.Change change = PgOutputMessage.change(update, relations).orElseThrow();
        assertThat(change.relation().table()).isEqualTo(new TableName("public", "bad"));
        assertThat(change.values()).extracting(v -> v.column().name() + "=" + v.text().orElse("null"))
                .containsExactly("id=2", "d=null", "id=2", "d=2147483648:00:00");
        assertThat(change.values().get(3).column().typeOid()).isEqualTo(1186);

        byte[] begin = message(out -> {
            out.writeByte('B');
            out.writeLong(1);
        });
        assertThat(PgOutputMessage.change(begin, relations)).isEqualTo(Optional.empty());
        byte[] unknownRelation = message(out -> {
            out.writeByte('I');
            out.writeInt(99);
            out.writeByte('N');
            out.writeShort(0);
        });
        assertThatThrownBy(() -> PgOutputMessage.change(unknownRelation, relations))
                .hasMessage("pgoutput sent a change of relation 99 before describing it");
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] message(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        }
        return bytes.toByteArray();
    }

    private static void string(DataOutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.writeByte(0);
    }

    private static void text(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeByte('t');
        out.writeInt(bytes.length);
        out.write(bytes);
    }
}
