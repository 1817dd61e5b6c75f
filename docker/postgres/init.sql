-- Run once by the postgres image, as the superuser, on an empty data directory
-- (/docker-entrypoint-initdb.d), in the database POSTGRES_DB (baseops). It is a psql script:
-- the passwords are read from the compose secrets with psql's backquotes, never written here.
--
-- Two roles, so that a compromised web or worker process cannot change the schema:
--   baseops_owner  owns the schema and every table; `baseops migrate` connects as it.
--   baseops_app    reads and writes rows, nothing else; `serve` and `worker` connect as it.
-- The superuser (postgres) is for the operator only.

\set ON_ERROR_STOP on
\set owner_password `cat /run/secrets/postgres_owner_password`
\set app_password `cat /run/secrets/postgres_app_password`

CREATE ROLE baseops_owner LOGIN PASSWORD :'owner_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE baseops_app LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

ALTER DATABASE baseops OWNER TO baseops_owner;
-- Nobody else may even connect: a new role gets nothing by default.
REVOKE ALL ON DATABASE baseops FROM PUBLIC;
GRANT CONNECT ON DATABASE baseops TO baseops_app;

-- PostgreSQL 15+ already keeps PUBLIC from creating in public; say it for older servers too.
ALTER SCHEMA public OWNER TO baseops_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO baseops_app;

-- Whatever the owner creates later (each migration's tables) is usable by the app at once:
-- no grant to remember in a migration.
ALTER DEFAULT PRIVILEGES FOR ROLE baseops_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO baseops_app;
ALTER DEFAULT PRIVILEGES FOR ROLE baseops_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO baseops_app;
ALTER DEFAULT PRIVILEGES FOR ROLE baseops_owner IN SCHEMA public
    GRANT EXECUTE ON FUNCTIONS TO baseops_app;

-- Statement statistics for `baseops db status` and the slow-query figures; the library is
-- preloaded by docker-compose.yml (shared_preload_libraries).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
-- Reading pg_stat_* of every session is what monitoring needs; it grants no data access.
GRANT pg_monitor TO baseops_owner;

-- A migration waits at most this long for a table lock: while it waits it queues every
-- request behind it, so it is better that it fails and is retried (docs/deployment.md).
ALTER ROLE baseops_owner IN DATABASE baseops SET lock_timeout = '5s';
-- A transaction whose client went quiet (a stuck process holding row locks) is ended instead
-- of blocking others and holding back vacuum; a busy transaction, however long, is not.
ALTER ROLE baseops_app IN DATABASE baseops SET idle_in_transaction_session_timeout = '5min';
ALTER ROLE baseops_app IN DATABASE baseops SET lock_timeout = '30s';
