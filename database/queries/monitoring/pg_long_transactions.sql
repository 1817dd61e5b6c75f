-- PostgreSQL: transactions open longer than $1 seconds, oldest first.
-- Why: a long transaction holds its locks and keeps VACUUM from removing dead rows anywhere in
-- the database (bloat); baseops' own transactions last milliseconds, so one here is a stuck
-- client, a manual session or a runaway report.
SELECT pid::bigint AS pid,
       coalesce(usename, '')::text AS username,
       coalesce(application_name, '')::text AS application,
       coalesce(state, '')::text AS state,
       extract(epoch FROM now() - xact_start)::float8 AS seconds,
       coalesce(wait_event_type || ':' || wait_event, '')::text AS waiting_on,
       left(regexp_replace(coalesce(query, ''), '\s+', ' ', 'g'), 200)::text AS query
FROM pg_stat_activity
WHERE datname = current_database()
  AND xact_start IS NOT NULL
  AND xact_start < now() - make_interval(secs => $1)
  AND pid <> pg_backend_pid()
ORDER BY xact_start
LIMIT 50
