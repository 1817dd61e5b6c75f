-- PostgreSQL 13+: the $1 statements of this database with the highest mean execution time
-- (pg_stat_statements), with their calls and total time.
-- Why: the statements to index or rewrite first; total time shows what costs the server most.
SELECT s.calls::bigint AS calls,
       s.mean_exec_time::float8 AS mean_ms,
       s.total_exec_time::float8 AS total_ms,
       s.rows::bigint AS rows,
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 200)::text AS query
FROM pg_stat_statements s
JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database()
ORDER BY s.mean_exec_time DESC
LIMIT $1
