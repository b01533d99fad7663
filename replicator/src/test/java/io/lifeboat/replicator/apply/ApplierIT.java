package io.lifeboat.replicator.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.ClusterPair;
import io.lifeboat.replicator.route.ChangeKind;
import io.lifeboat.replicator.route.RowChange;
import io.lifeboat.replicator.route.SourceTransaction;
import io.lifeboat.replicator.schema.TableName;
import io.lifeboat.testkit.PostgresCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApplierIT {
    private static final TableName ITEMS = new TableName("public", "items");
    private static PostgresCluster standby;
    private Connection connection;
    private Applier applier;
    private long lsn = 0x1000000;

    @BeforeAll
    static void start() {
        ClusterPair pair = new ClusterPair();
        pair.master.close();
        standby = pair.standby;
    }

    @AfterAll
    static void stop() {
        if (standby != null) {
            standby.close();
        }
    }

    @BeforeEach
    void freshTable() throws SQLException {
        standby.execute("app", """
                drop table if exists items;
                create table items (id int, region text, qty int, note text, doc text,
                                    total numeric generated always as (qty * 2) stored,
                                    primary key (id, region));
                delete from lifeboat.applied_position;
                """);
        connection = standby.connect("app");
        applier = new Applier("lifeboat", connection, 1000);
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
    }

    private static Map<String, String> key(int id) {
        return Map.of("id", Integer.toString(id), "region", "eu");
    }

    private static RowChange upsert(ChangeKind kind, int id, Integer qty, String note) {
        Map<String, String> values = new LinkedHashMap<>(key(id));
        values.put("qty", qty == null ? null : qty.toString());
        values.put("note", note);
        values.put("doc", "doc " + id);
        return new RowChange(ITEMS, kind, key(id), values, Set.of());
    }

    private static RowChange delete(int id) {
        return new RowChange(ITEMS, ChangeKind.DELETE, key(id), Map.of(), Set.of());
    }

    private SourceTransaction transaction(RowChange... changes) {
        lsn += 0x100;
        return new SourceTransaction(lsn, new Lsn(lsn), List.of(changes));
    }

    private List<String> items() {
        return ClusterPair.rows(standby, "select id, region, qty, note, doc, total from items order by id");
    }

    @Test
    void insertsUpdatesDeletesAndTruncates_landAndAdvanceThePosition() throws SQLException {
        SourceTransaction first = transaction(upsert(ChangeKind.INSERT, 1, 5, "a"), upsert(ChangeKind.INSERT, 2, 6, "b"),
                upsert(ChangeKind.INSERT, 3, null, null));
        SourceTransaction second = transaction(upsert(ChangeKind.UPDATE, 1, 7, "a2"), delete(2));
        Applier.Result result = applier.apply(List.of(first, second));

        assertThat(result.appliedTransactions()).isEqualTo(2);
        assertThat(result.rows()).isEqualTo(5);
        assertThat(items()).containsExactly("1|eu|7|a2|doc 1|14", "3|eu|null|null|doc 3|null");
        assertThat(AppliedPosition.read(connection, "lifeboat")).contains(second.commitLsn());

        applier.apply(List.of(transaction(RowChange.truncate(ITEMS)), transaction(upsert(ChangeKind.INSERT, 9, 1, "z"))));
        assertThat(items()).containsExactly("9|eu|1|z|doc 9|2");
    }

    @Test
    void transactionsAtOrBelowTheAppliedPosition_areSkippedEvenAfterARestart() throws SQLException {
        SourceTransaction insert = transaction(upsert(ChangeKind.INSERT, 1, 5, "a"));
        SourceTransaction remove = transaction(delete(1));
        applier.apply(List.of(insert, remove));

        Applier restarted = new Applier("lifeboat", connection, 1000);
        assertThat(restarted.applied()).isEqualTo(remove.commitLsn());
        Applier.Result replay = restarted.apply(List.of(insert, remove));
        assertThat(replay.appliedTransactions()).isZero();
        assertThat(replay.skippedTransactions()).isEqualTo(2);
        assertThat(items()).isEmpty();

        // A group that straddles the position applies only what is new.
        SourceTransaction next = transaction(upsert(ChangeKind.INSERT, 2, 1, "new"));
        Applier.Result mixed = restarted.apply(List.of(insert, remove, next));
        assertThat(mixed.appliedTransactions()).isEqualTo(1);
        assertThat(items()).containsExactly("2|eu|1|new|doc 2|2");
    }

    @Test
    void aFailingChange_leavesNothingOfTheGroupAndThePositionWhereItWas() throws SQLException {
        SourceTransaction good = transaction(upsert(ChangeKind.INSERT, 1, 5, "a"));
        applier.apply(List.of(good));
        SourceTransaction next = transaction(upsert(ChangeKind.INSERT, 2, 6, "b"));
        Map<String, String> bad = new LinkedHashMap<>(upsert(ChangeKind.INSERT, 3, 1, "c").values());
        bad.put("qty", "not a number");
        SourceTransaction broken = transaction(new RowChange(ITEMS, ChangeKind.INSERT, key(3), bad, Set.of()));

        assertThatThrownBy(() -> applier.apply(List.of(next, broken))).isInstanceOf(TableRejectedException.class)
                .hasMessage("public.items: the standby refused a change: invalid input syntax for type integer:"
                        + " \"not a number\"");
        assertThat(items()).containsExactly("1|eu|5|a|doc 1|10");
        assertThat(AppliedPosition.read(connection, "lifeboat")).contains(good.commitLsn());
        assertThat(applier.applied()).isEqualTo(good.commitLsn());
    }

    @Test
    void unchangedToastedColumns_keepTheirStandbyValue() throws SQLException {
        applier.apply(List.of(transaction(upsert(ChangeKind.INSERT, 1, 5, "a"))));
        Map<String, String> values = new LinkedHashMap<>(key(1));
        values.put("qty", "8");
        values.put("note", "changed");
        applier.apply(List.of(transaction(new RowChange(ITEMS, ChangeKind.UPDATE, key(1), values, Set.of("doc")))));
        assertThat(items()).containsExactly("1|eu|8|changed|doc 1|16");
    }

    @Test
    void theSameKeyTwiceInOneGroup_isAppliedInOrder() throws SQLException {
        applier.apply(List.of(transaction(upsert(ChangeKind.INSERT, 1, 1, "v1"), upsert(ChangeKind.UPDATE, 1, 2, "v2"),
                delete(1), upsert(ChangeKind.INSERT, 1, 3, "v3"), upsert(ChangeKind.INSERT, 2, 1, "x"))));
        assertThat(items()).containsExactly("1|eu|3|v3|doc 1|6", "2|eu|1|x|doc 2|2");
    }

    @Test
    void aColumnTheStandbyLacks_isReportedAsSchemaDrift() throws SQLException {
        Map<String, String> values = new LinkedHashMap<>(key(1));
        values.put("colour", "red");
        assertThatThrownBy(() -> applier.apply(List.of(transaction(
                new RowChange(ITEMS, ChangeKind.INSERT, key(1), values, Set.of())))))
                .isInstanceOf(SchemaDriftException.class)
                .hasMessage("public.items: schema drift: column colour missing on standby");
        assertThat(AppliedPosition.read(connection, "lifeboat")).isEmpty();
    }

    @Test
    void manyRows_goInFewStatementsAndStayExact() throws SQLException {
        SourceTransaction[] group = new SourceTransaction[50];
        int id = 0;
        for (int t = 0; t < group.length; t++) {
            RowChange[] changes = new RowChange[200];
            for (int r = 0; r < changes.length; r++) {
                changes[r] = upsert(ChangeKind.INSERT, ++id, id, "n" + id);
            }
            group[t] = transaction(changes);
        }
        Applier.Result result = applier.apply(List.of(group));
        assertThat(result.rows()).isEqualTo(10_000);
        assertThat(ClusterPair.rows(standby, "select count(*), sum(qty), sum(total) from items"))
                .containsExactly("10000|50005000|100010000");
    }

    @Test
    void aUniqueValueMovingBetweenRowsInOneGroup_fallsBackToMasterOrder() throws SQLException {
        standby.execute("app", "drop table if exists people; create table people (id int primary key, email text unique)");
        TableName people = new TableName("public", "people");
        java.util.function.BiFunction<Integer, String, RowChange> set = (id, email) -> new RowChange(people,
                ChangeKind.UPDATE, Map.of("id", id.toString()), Map.of("id", id.toString(), "email", email), Set.of());
        applier.apply(List.of(transaction(set.apply(1, "a"), set.apply(2, "b"))));

        // Net effect 1 -> b, 2 -> a: written as one upsert, the unique index objects; in master order it does not.
        applier.apply(List.of(transaction(set.apply(1, "tmp")), transaction(set.apply(2, "a")),
                transaction(set.apply(1, "b"))));
        assertThat(ClusterPair.rows(standby, "select id, email from people order by id")).containsExactly("1|b", "2|a");
    }

    @Test
    void changesAlternatingBetweenTables_endAsTheMasterLeftThem() throws SQLException {
        standby.execute("app", "drop table if exists tellers; create table tellers (id int primary key, balance int)");
        TableName tellers = new TableName("public", "tellers");
        List<SourceTransaction> group = new java.util.ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            int teller = 1 + i % 7;
            group.add(transaction(upsert(ChangeKind.INSERT, i, i, "n" + i),
                    new RowChange(tellers, ChangeKind.INSERT, Map.of("id", Integer.toString(teller)),
                            Map.of("id", Integer.toString(teller), "balance", Integer.toString(i)), Set.of()),
                    i % 3 == 0 ? delete(i - 1) : upsert(ChangeKind.UPDATE, i, i * 10, "u" + i)));
        }
        applier.apply(group);
        // Rows 2, 5, 8, ... are deleted; 1, 4, 7, ... were updated to 10 × id; 3, 6, 9, ... keep qty = id.
        assertThat(ClusterPair.rows(standby, "select count(*), sum(qty) from items")).containsExactly("200|164650");
        assertThat(ClusterPair.rows(standby, "select qty from items where id in (3, 4) order by id"))
                .containsExactly("3", "40");
        assertThat(ClusterPair.rows(standby, "select id, balance from tellers order by id")).containsExactly(
                "1|294", "2|295", "3|296", "4|297", "5|298", "6|299", "7|300");
    }

    @Test
    void aLargeTransactionInPieces_commitsWithItsPosition_andItsReplayIsPassedOver() throws SQLException {
        applier.begin(77);
        long rows = 0;
        for (int piece = 0; piece < 5; piece++) {
            RowChange[] changes = new RowChange[100];
            for (int r = 0; r < changes.length; r++) {
                int id = piece * 100 + r + 1;
                changes[r] = upsert(ChangeKind.INSERT, id, id, "p" + piece);
            }
            rows = applier.applyPiece(List.of(changes));
        }
        assertThat(rows).isEqualTo(500);
        // Nothing is visible to others until the master's commit arrives.
        assertThat(ClusterPair.rows(standby, "select count(*) from items")).containsExactly("0");
        lsn += 0x100;
        Applier.Result result = applier.commit(new SourceTransaction(77, new Lsn(lsn), List.of(delete(1))));
        assertThat(result.appliedTransactions()).isEqualTo(1);
        assertThat(result.rows()).isEqualTo(501);
        assertThat(ClusterPair.rows(standby, "select count(*), sum(qty) from items")).containsExactly("499|125249");
        assertThat(AppliedPosition.read(connection, "lifeboat")).contains(new Lsn(lsn));

        // The slot trails the applied position after a crash: the same transaction comes again, piece by piece,
        // and must not be applied on top of what came after it.
        applier.apply(List.of(transaction(upsert(ChangeKind.UPDATE, 2, 1000, "later"))));
        Applier restarted = new Applier("lifeboat", connection, 1000);
        restarted.begin(77);
        restarted.applyPiece(List.of(upsert(ChangeKind.INSERT, 2, 2, "p0")));
        Applier.Result replay = restarted.commit(new SourceTransaction(77, new Lsn(lsn - 0x100), List.of(delete(1))));
        assertThat(replay.appliedTransactions()).isZero();
        assertThat(ClusterPair.rows(standby, "select qty, note from items where id = 2")).containsExactly("1000|later");
    }

    @Test
    void aLargeTransactionAtOrBelowThePosition_leavesNothing() throws SQLException {
        SourceTransaction done = transaction(upsert(ChangeKind.INSERT, 1, 1, "a"));
        applier.apply(List.of(done));
        applier.begin(5);
        applier.applyPiece(List.of(upsert(ChangeKind.UPDATE, 1, 99, "replayed")));
        Applier.Result result = applier.commit(new SourceTransaction(5, done.commitLsn(), List.of()));
        assertThat(result.skippedTransactions()).isEqualTo(1);
        assertThat(items()).containsExactly("1|eu|1|a|doc 1|2");
        assertThat(applier.inLargeTransaction()).isFalse();
    }

    @Test
    void aTableTheStandbyRefuses_isHandedToTheHandler_andTheOtherTablesApply() throws SQLException {
        standby.execute("app", "drop table if exists notes; create table notes (id int primary key, body text"
                + " check (body <> 'forbidden'))");
        TableName notes = new TableName("public", "notes");
        PausedTables paused = new PausedTables();
        List<String> seen = new java.util.ArrayList<>();
        Applier guarded = new Applier("lifeboat", connection, 1000, paused, (failure, c) -> {
            seen.add(failure.getMessage());
            paused.pause(c, failure.table(), failure.getMessage());
        });
        guarded.begin(9);
        guarded.applyPiece(List.of(upsert(ChangeKind.INSERT, 1, 1, "before"),
                new RowChange(notes, ChangeKind.INSERT, Map.of("id", "1"), Map.of("id", "1", "body", "fine"), Set.of())));
        guarded.applyPiece(List.of(upsert(ChangeKind.INSERT, 2, 2, "during"),
                new RowChange(notes, ChangeKind.INSERT, Map.of("id", "2"), Map.of("id", "2", "body", "forbidden"),
                        Set.of())));
        lsn += 0x100;
        guarded.commit(new SourceTransaction(9, new Lsn(lsn), List.of(upsert(ChangeKind.INSERT, 3, 3, "after"),
                new RowChange(notes, ChangeKind.INSERT, Map.of("id", "3"), Map.of("id", "3", "body", "x"), Set.of()))));

        assertThat(seen).containsExactly("public.notes: the standby refused a change: new row for relation \"notes\""
                + " violates check constraint \"notes_body_check\"");
        assertThat(paused.contains(notes)).isTrue();
        assertThat(PausedTables.read(connection)).containsKey("public.notes");
        assertThat(ClusterPair.rows(standby, "select id from items order by id")).containsExactly("1", "2", "3");
        // The piece applied before the refusal stays; after it, the paused table's changes are passed over.
        assertThat(ClusterPair.rows(standby, "select id, body from notes order by id")).containsExactly("1|fine");
        assertThat(AppliedPosition.read(connection, "lifeboat")).contains(new Lsn(lsn));
    }

    @Test
    void identityColumnsGeneratedAlways_takeTheMastersValues() throws SQLException {
        standby.execute("app", """
                drop table if exists audit;
                create table audit (audit_id bigint generated always as identity primary key,
                                    seq int generated always as identity (increment by -1 start with -1), what text);
                """);
        TableName audit = new TableName("public", "audit");
        java.util.function.BiFunction<Integer, String, RowChange> row = (id, what) -> new RowChange(audit,
                ChangeKind.INSERT, Map.of("audit_id", id.toString()),
                Map.of("audit_id", id.toString(), "seq", Integer.toString(-id), "what", what), Set.of());
        applier.apply(List.of(transaction(row.apply(500, "a"), row.apply(501, "b"))));
        // An upsert of a row that exists, and a row whose always-generated value changed on the master.
        RowChange changed = new RowChange(audit, ChangeKind.UPDATE, Map.of("audit_id", "501"),
                Map.of("audit_id", "501", "seq", "-900", "what", "b2"), Set.of());
        applier.apply(List.of(transaction(row.apply(500, "a2"), changed)));
        assertThat(ClusterPair.rows(standby, "select audit_id, seq, what from audit order by 1"))
                .containsExactly("500|-500|a2", "501|-900|b2");
    }

    @Test
    void wholeRowsWithoutAColumnTheStandbyHas_areReportedAsDrift() throws SQLException {
        Map<String, String> values = new LinkedHashMap<>(upsert(ChangeKind.INSERT, 1, 1, "a").values());
        values.remove("note");
        assertThatThrownBy(() -> applier.apply(List.of(transaction(
                new RowChange(ITEMS, ChangeKind.INSERT, key(1), values, Set.of())))))
                .isInstanceOf(SchemaDriftException.class)
                .hasMessage("public.items: schema drift: column note exists only on standby");
        assertThat(items()).isEmpty();
    }
}
