-- The master's own position, written straight into this catalog by `sync run` every second (not through
-- replication, so it stays current while the standby lags): what the master had reached and when, and where its
-- slot holds WAL from. After the master is gone, it is the newest master position Lifeboat knows of, against
-- which each recovery source's data loss is measured.
CREATE TABLE master_position (
    slot_name        text        PRIMARY KEY,
    lsn              pg_lsn      NOT NULL,
    seen_at          timestamptz NOT NULL,
    slot_restart_lsn pg_lsn
);

-- The long-running service's jobs record their runs in `job` too, and a daily recovery dry-run keeps its whole
-- JSON report in job.detail.
ALTER TABLE job DROP CONSTRAINT job_kind_check;
ALTER TABLE job ADD CONSTRAINT job_kind_check CHECK (kind IN ('sync', 'snapshot', 'archive', 'validate', 'resync',
    'recover', 'copy', 'prune', 'dry-run', 'sequences', 'report'));

-- Who runs `lifeboat run` against this catalog. The lock itself is a session advisory lock (released when the
-- process dies, however it dies); this row only names the holder for the refusal message.
CREATE TABLE service_instance (
    id          int         PRIMARY KEY CHECK (id = 1),
    host        text        NOT NULL,
    pid         bigint      NOT NULL,
    started_at  timestamptz NOT NULL
);
