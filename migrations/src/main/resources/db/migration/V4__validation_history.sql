-- One row per `sync validate`: when the standby was last proven identical to the master, and what differed.
CREATE TABLE validation (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    duration_ms  bigint      NOT NULL,
    tables       int         NOT NULL,
    out_of_sync  int         NOT NULL,
    detail       jsonb       NOT NULL
);
CREATE INDEX validation_started_at ON validation (started_at DESC);
