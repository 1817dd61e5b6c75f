-- PostgreSQL: sessions waiting for a lock, with the sessions that block them.
-- Why: says who to wait for or end (pg_terminate_backend) when requests time out on locks.
SELECT a.pid::bigint AS pid,
       array_to_string(pg_blocking_pids(a.pid), ',')::text AS blocked_by,
       extract(epoch FROM now() - a.query_start)::float8 AS seconds,
       coalesce(a.wait_event_type || ':' || a.wait_event, '')::text AS waiting_on,
       left(regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 200)::text AS query
FROM pg_stat_activity a
WHERE a.datname = current_database()
  AND cardinality(pg_blocking_pids(a.pid)) > 0
ORDER BY a.query_start
LIMIT 50
