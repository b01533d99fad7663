-- The master writes one row here every second (in its own lifeboat schema, which is published); its age on the
-- standby is the end-to-end replication lag.
CREATE TABLE heartbeat (
    id       int         PRIMARY KEY CHECK (id = 1),
    beat_at  timestamptz NOT NULL
);
