-- PostgreSQL: the $1 largest tables of the current schema: estimated rows, heap, index and
-- total size, dead rows and the last (auto)vacuum.
-- Why: where the disk goes, which table grows, and whether autovacuum keeps up with it.
SELECT c.relname::text AS name,
       greatest(c.reltuples, 0)::bigint AS rows_estimate,
       pg_table_size(c.oid)::bigint AS table_bytes,
       pg_indexes_size(c.oid)::bigint AS index_bytes,
       pg_total_relation_size(c.oid)::bigint AS total_bytes,
       coalesce(s.n_dead_tup, 0)::bigint AS dead_rows,
       coalesce(to_char(greatest(s.last_vacuum, s.last_autovacuum) AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')::text AS last_vacuum
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p')
ORDER BY pg_total_relation_size(c.oid) DESC, c.relname
LIMIT $1
