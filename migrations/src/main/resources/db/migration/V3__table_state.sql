-- Tables the replicator has paused (schema drift the standby must be fixed for), so that `sync status` in another
-- process can show them. A table with no row here is streaming normally.
CREATE TABLE paused_table (
    table_name  text        PRIMARY KEY,
    reason      text        NOT NULL,
    paused_at   timestamptz NOT NULL DEFAULT now()
);
