-- PostgreSQL: an estimate of the wasted space of each table of the current schema over 1 MiB:
-- the pages it has against the pages its live rows would need (row width from pg_stats, the
-- 24-byte tuple header and 4-byte item pointer, the 24-byte page header, the fill factor),
-- plus its dead rows. Largest waste first, at most $1 tables.
-- Why: VACUUM makes dead space reusable but rarely returns it to the disk; a table wasting
-- most of its pages needs VACUUM FULL or pg_repack in a quiet hour. An estimate, not a
-- measure (pgstattuple measures, at the cost of reading the table): about 5 % on a freshly
-- loaded table, and far more while large transactions are still inserting (their rows fill
-- pages but are not yet counted as live), so read it on a quiet database after ANALYZE.
WITH widths AS (
    SELECT s.tablename, sum(s.avg_width)::float8 AS row_width
    FROM pg_stats s
    WHERE s.schemaname = current_schema()
    GROUP BY s.tablename
),
tables AS (
    SELECT c.relname, c.relpages::float8 AS pages, greatest(c.reltuples, 0)::float8 AS live_rows,
           current_setting('block_size')::float8 AS block_size,
           coalesce((SELECT substring(o FROM 'fillfactor=(\d+)')::float8
                     FROM unnest(c.reloptions) AS o WHERE o LIKE 'fillfactor=%'), 100) AS fillfactor,
           coalesce(w.row_width, 0) AS row_width,
           coalesce(st.n_dead_tup, 0) AS dead_rows
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN widths w ON w.tablename = c.relname
    LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
    WHERE n.nspname = current_schema() AND c.relkind = 'r'
      AND pg_relation_size(c.oid) > 1048576
),
estimates AS (
    SELECT relname, pages, block_size, dead_rows,
           ceil(live_rows * (row_width + 28) / ((block_size - 24) * fillfactor / 100)) AS needed_pages
    FROM tables
)
SELECT relname::text AS name,
       (pages * block_size)::bigint AS table_bytes,
       (greatest(pages - needed_pages, 0) * block_size)::bigint AS wasted_bytes,
       (CASE WHEN pages > 0 THEN greatest(pages - needed_pages, 0) / pages ELSE 0 END)::float8 AS wasted_ratio,
       dead_rows::bigint AS dead_rows
FROM estimates
ORDER BY 3 DESC, 1
LIMIT $1
