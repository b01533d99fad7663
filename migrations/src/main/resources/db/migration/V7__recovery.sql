-- One row per `recover` that brought a database back, written into the recovered database itself: which rung and
-- candidate, the data lost against the newest master position Lifeboat knew, and the whole JSON report. IF NOT EXISTS
-- because a recovered copy of the master (which has no migration history) gets the same table from `recover` itself.
CREATE TABLE IF NOT EXISTS recovery (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    rung         text        NOT NULL,
    candidate    text        NOT NULL,
    data_loss_seconds double precision,
    data_loss_bytes   bigint,
    report       jsonb       NOT NULL
);
