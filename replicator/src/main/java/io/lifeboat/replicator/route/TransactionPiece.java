package io.lifeboat.replicator.route;

import io.lifeboat.core.db.Lsn;
import java.util.List;
import java.util.Optional;

/**
 * A run of consecutive changes of one master transaction, as the assembler releases them: the whole transaction
 * when it is small, else pieces of bounded size and then its end.
 *
 * @param first whether this piece opens the transaction (true for a whole one)
 * @param commitLsn present on the transaction's last piece: the end of its commit record
 * @param bytes an estimate of the memory its values take
 * @param lastRecord the engine's handle of the last record this piece consumed, to acknowledge once it is durable
 */
public record TransactionPiece<R>(long transactionId, boolean first, Optional<Lsn> commitLsn, List<RowChange> changes,
                                  long bytes, R lastRecord) {
    /** The transaction is complete in this one piece. */
    public boolean whole() {
        return first && commitLsn.isPresent();
    }

    public boolean last() {
        return commitLsn.isPresent();
    }

    /** The piece as a whole transaction; only for {@link #last()} pieces. */
    public SourceTransaction transaction() {
        return new SourceTransaction(transactionId, commitLsn.orElseThrow(), changes);
    }
}
