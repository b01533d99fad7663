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
 * Cuts Debezium's records into master transactions. Batches from the engine do not follow transaction boundaries,
 * so a transaction ends only at its END record, whose {@code lsn_commit} is the end of its commit record: the one
 * position that increases strictly from transaction to transaction in the stream. A transaction that grows past
 * {@code maxRows} changes or {@code maxBytes} of values is released in pieces of that size as it arrives, so memory
 * never depends on the size of a master transaction. Records are grouped by {@code txId}; the metadata's {@code id}
 * string changes within one transaction.
 */
public final class TransactionAssembler {
    private final int maxRows;
    private final long maxBytes;
    private Long openTransaction;
    private boolean released;
    private List<RowChange> changes = new ArrayList<>();
    private long bytes;
    private TableName lastTable;
    private Long interrupted;

    public TransactionAssembler(int maxRows, long maxBytes) {
        this.maxRows = maxRows;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes one record; returns a piece when the record ends a transaction or fills a piece. Only the handle of the
     * last record is kept: acknowledging it moves the engine's position past every record before it.
     */
    public <R> Optional<TransactionPiece<R>> accept(R handle, SourceRecord record) {
        if (record.value() == null) {
            return Optional.empty();
        }
        Struct value = (Struct) record.value();
        if (record.topic().endsWith(".transaction")) {
            return transactionMarker(value, record, handle);
        }
        Object txId = record.sourceOffset().get("txId");
        if (txId != null && openTransaction == null) {
            openTransaction = ((Number) txId).longValue();
        }
        Optional<RowChange> change = decode(record, value);
        if (change.isEmpty()) {
            return Optional.empty();
        }
        changes.add(change.get());
        if (changes.size() >= maxRows || bytes >= maxBytes) {
            return Optional.of(release(handle, Optional.empty()));
        }
        return Optional.empty();
    }

    private <R> Optional<TransactionPiece<R>> transactionMarker(Struct value, SourceRecord record, R handle) {
        String status = value.getString("status");
        Number txId = (Number) record.sourceOffset().get("txId");
        if (status.equals("BEGIN")) {
            if (openTransaction != null && (released || !changes.isEmpty())) {
                // The engine started over from the slot inside the open transaction: all of it comes again.
                interrupted = openTransaction;
                changes = new ArrayList<>();
                bytes = 0;
                released = false;
            }
            openTransaction = txId.longValue();
            return Optional.empty();
        }
        if (openTransaction == null) {
            openTransaction = txId.longValue();
        }
        Number commit = (Number) record.sourceOffset().get("lsn_commit");
        TransactionPiece<R> piece = release(handle, Optional.of(new Lsn(commit.longValue())));
        openTransaction = null;
        released = false;
        return Optional.of(piece);
    }

    /**
     * The transaction that was open when the engine started over from the slot (its beginning comes again), once;
     * pieces of it already handed out must be undone.
     */
    public Optional<Long> takeInterrupted() {
        Optional<Long> taken = Optional.ofNullable(interrupted);
        interrupted = null;
        return taken;
    }

    private <R> TransactionPiece<R> release(R handle, Optional<Lsn> commit) {
        TransactionPiece<R> piece = new TransactionPiece<>(openTransaction, !released, commit, List.copyOf(changes),
                bytes, handle);
        released = true;
        changes = new ArrayList<>();
        bytes = 0;
        return piece;
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
                for (String text : values.values()) {
                    bytes += text == null ? 8 : 40 + 2L * text.length();
                }
                return Optional.of(new RowChange(table, op.equals("u") ? ChangeKind.UPDATE : ChangeKind.INSERT,
                        key(record), values, Set.copyOf(unchanged)));
            }
            case "d":
                bytes += 64;
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
}
