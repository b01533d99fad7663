-- One row per `snapshot verify`: the catalog's copy of what each snapshot's verification.json says, so status
-- and the recovery ladder can see which snapshots were proven to restore without scanning the store.
CREATE TABLE snapshot_verification (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot     text        NOT NULL,
    checked_at   timestamptz NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('verified', 'corrupt')),
    reason       text        NOT NULL,
    duration_ms  bigint      NOT NULL
);
CREATE INDEX snapshot_verification_snapshot ON snapshot_verification (snapshot, checked_at DESC);
