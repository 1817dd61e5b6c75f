-- PostgreSQL: the database's name, its size on disk and the server's version.
-- Why: the size is the first figure to watch for growth (backups, disk); the version decides
-- which statistics columns exist (pg_stat_statements' names changed in 13, REINDEX
-- CONCURRENTLY needs 12).
SELECT current_database()::text AS name,
       pg_database_size(current_database())::bigint AS size_bytes,
       current_setting('server_version')::text AS version,
       current_setting('server_version_num')::int AS version_num,
       pg_is_in_recovery() AS in_recovery
