-- PostgreSQL: connections to this database by state (active, idle, idle in transaction, ...).
-- Why: many "idle in transaction" sessions hold locks and stop VACUUM; a total near
-- max_connections means the pools (database.max_connections per process) are too large or a
-- pooler is needed (docs/postgres_scaling.md).
SELECT coalesce(state, 'unknown')::text AS state,
       count(*)::bigint AS count,
       current_setting('max_connections')::bigint AS max_connections
FROM pg_stat_activity
WHERE datname = current_database()
GROUP BY 1
ORDER BY 1
