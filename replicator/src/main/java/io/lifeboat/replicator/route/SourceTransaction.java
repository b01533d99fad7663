package io.lifeboat.replicator.route;

import io.lifeboat.core.db.Lsn;
import java.util.List;

/**
 * One whole master transaction, in commit order.
 *
 * @param commitLsn the position of its commit: increases strictly from one transaction to the next in the stream,
 *     which is what makes "skip what is at or below the applied position" exact
 */
public record SourceTransaction(long transactionId, Lsn commitLsn, List<RowChange> changes) {
}
