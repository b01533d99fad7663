-- A master transaction too large to hold in memory is applied in pieces into one open standby transaction, which
-- nobody can see into until it commits. The applier reports its progress here from a second connection (committed
-- every few seconds) so that `sync status` can show it; the row goes when the transaction commits.
CREATE TABLE apply_progress (slot_name text primary key, transaction_id bigint, rows_applied bigint not null, started_at timestamptz not null, updated_at timestamptz not null);
