-- Lifeboat's catalog lives on the standby, so it survives the loss of the master. Every table here is a cache
-- of what the stores (manifests, snapshot metadata) already say, except applied_position, which is written in the
-- same transaction as the replicated rows it describes.

-- The master position (LSN) the standby has applied up to, per replication slot. Written in the same standby
-- transaction as the rows, so after any crash the applier skips exactly what is already there.
CREATE TABLE applied_position (
    slot_name     text        PRIMARY KEY,
    lsn           pg_lsn      NOT NULL,
    transaction_id bigint,
    applied_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per run of a job: sync, snapshot, archive, validate, recover.
CREATE TABLE job (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('sync', 'snapshot', 'archive', 'validate', 'resync', 'recover')),
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    state       text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed')),
    detail      jsonb       NOT NULL DEFAULT '{}',
    CHECK ((state = 'running') = (ended_at IS NULL))
);
CREATE INDEX job_kind_started_at ON job (kind, started_at DESC);

-- What happened during a job, for `status` commands and post-mortems.
CREATE TABLE event (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id   bigint      REFERENCES job (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL DEFAULT now(),
    level    text        NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    message  text        NOT NULL
);
CREATE INDEX event_job_id ON event (job_id);
