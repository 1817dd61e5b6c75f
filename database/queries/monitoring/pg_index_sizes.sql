-- PostgreSQL: the $1 largest indexes of the current schema, with how often each was used.
-- Why: a large index with zero scans since the statistics were reset costs every write and
-- helps no read.
SELECT i.relname::text AS name,
       t.relname::text AS table_name,
       pg_relation_size(i.oid)::bigint AS bytes,
       coalesce(s.idx_scan, 0)::bigint AS scans
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.oid
WHERE n.nspname = current_schema()
ORDER BY pg_relation_size(i.oid) DESC, i.relname
LIMIT $1
