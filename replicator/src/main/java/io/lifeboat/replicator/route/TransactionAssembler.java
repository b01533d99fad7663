package io.lifeboat.replicator.route;

import io.lifeboat.core.db.Lsn;
import io.lifeboat.replicator.schema.TableName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Collects Debezium's records into whole master transactions. Batches from the engine do not follow transaction
 * boundaries, so a transaction is only released at its END record, whose {@code lsn_commit} is the end of its
 * commit record: the one position that increases strictly from transaction to transaction in the stream.
 * Records are grouped by {@code txId}; the metadata's {@code id} string changes within one transaction.
 */
public final class TransactionAssembler {
    private Long openTransaction;
    private final List<RowChange> changes = new ArrayList<>();
    private final List<Object> records = new ArrayList<>();
    private TableName lastTable;

    /**
     * Takes one record; returns the transaction it completes, with the records that made it (to acknowledge
     * once the transaction is applied).
     */
    public <R> Optional<Completed<R>> accept(R handle, SourceRecord record) {
        records.add(handle);
        if (record.value() == null) {
            return Optional.empty();
        }
        Struct value = (Struct) record.value();
        if (record.topic().endsWith(".transaction")) {
            return transactionMarker(value, record);
        }
        Object txId = record.sourceOffset().get("txId");
        if (txId != null) {
            openTransaction = ((Number) txId).longValue();
        }
        decode(record, value).ifPresent(changes::add);
        return Optional.empty();
    }

    private <R> Optional<Completed<R>> transactionMarker(Struct value, SourceRecord record) {
        String status = value.getString("status");
        Number txId = (Number) record.sourceOffset().get("txId");
        if (status.equals("BEGIN")) {
            if (openTransaction != null && !changes.isEmpty()) {
                throw new IllegalStateException("transaction " + openTransaction + " has no END before BEGIN of " + txId);
            }
            openTransaction = txId.longValue();
            return Optional.empty();
        }
        Number commit = (Number) record.sourceOffset().get("lsn_commit");
        @SuppressWarnings("unchecked")
        List<R> handles = (List<R>) List.copyOf(records);
        SourceTransaction transaction = new SourceTransaction(txId.longValue(), new Lsn(commit.longValue()),
                List.copyOf(changes));
        changes.clear();
        records.clear();
        openTransaction = null;
        return Optional.of(new Completed<>(transaction, handles));
    }

    private Optional<RowChange> decode(SourceRecord record, Struct value) {
        Struct source = value.getStruct("source");
        TableName table = tableNamed(source.getString("schema"), source.getString("table"));
        String op = value.getString("op");
        switch (op) {
            case "t":
                return Optional.of(RowChange.truncate(table));
            case "c", "r", "u": {
                Set<String> unchanged = new HashSet<>();
                Map<String, String> values = ValueText.row(value.getStruct("after"), unchanged);
                return Optional.of(new RowChange(table, op.equals("u") ? ChangeKind.UPDATE : ChangeKind.INSERT,
                        key(record), values, Set.copyOf(unchanged)));
            }
            case "d":
                return Optional.of(new RowChange(table, ChangeKind.DELETE, key(record), Map.of(), Set.of()));
            default:
                return Optional.empty();
        }
    }

    /** Runs of changes to one table share one name, so maps keyed by it compare by identity first. */
    private TableName tableNamed(String schema, String name) {
        if (lastTable == null || !lastTable.name().equals(name) || !lastTable.schema().equals(schema)) {
            lastTable = new TableName(schema, name);
        }
        return lastTable;
    }

    private static Map<String, String> key(SourceRecord record) {
        Map<String, String> key = new LinkedHashMap<>();
        if (record.key() instanceof Struct struct) {
            for (Field field : struct.schema().fields()) {
                key.put(field.name(), (String) struct.get(field));
            }
        }
        return key;
    }

    /** A whole transaction and the engine's handles of every record that carried it. */
    public record Completed<R>(SourceTransaction transaction, List<R> records) {
    }
}
