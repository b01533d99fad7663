-- Master transactions too large to hold in memory are applied in pieces into one open standby transaction; the
-- commit position is known only at their end. Their ids are recorded here, in the same standby transaction as their
-- rows, so that a replay after a crash (the slot may trail the applied position) is recognised from its first piece
-- and skipped, instead of being applied a second time on top of newer rows.
CREATE TABLE streamed_transaction (
    slot_name      text        NOT NULL,
    transaction_id bigint      NOT NULL,
    commit_lsn     pg_lsn      NOT NULL,
    applied_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slot_name, transaction_id)
);
