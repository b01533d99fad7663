#!/bin/sh
# Runs once, when the master's data directory is created (the postgres image's /docker-entrypoint-initdb.d):
# the role Lifeboat replicates as. What it needs is listed in the README (Replication, the master user's
# privileges): REPLICATION for the slot and stream, CREATE on the database for schema lifeboat and the
# publication, ownership of the replicated tables (through membership of their owner) and SELECT on tables and
# sequences. Its password is the Compose secret lifeboat_master_password, the file Lifeboat reads too.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="$(cat /run/secrets/lifeboat_master_password)" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE lifeboat LOGIN REPLICATION PASSWORD :'password';
GRANT CREATE ON DATABASE :"db" TO lifeboat;
-- The application's tables belong to app_owner; lifeboat may publish them as a member of that role.
CREATE ROLE app_owner NOLOGIN;
GRANT app_owner TO lifeboat;
GRANT USAGE, CREATE ON SCHEMA public TO app_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT SELECT ON TABLES TO lifeboat;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT SELECT ON SEQUENCES TO lifeboat;
SQL
