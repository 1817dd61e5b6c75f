-- PostgreSQL: the tables of the current schema (the one baseops migrates into), each with its
-- name quoted by PostgreSQL itself (format %I), to VACUUM, ANALYZE or REINDEX one by one.
-- Why: maintenance statements take no bind parameters for a table name, so the names come
-- from the catalogue, quoted here, never from input; one table at a time keeps each lock short
-- and each failure named.
SELECT c.relname::text AS name,
       format('%I.%I', n.nspname, c.relname)::text AS quoted
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p')
ORDER BY c.relname
