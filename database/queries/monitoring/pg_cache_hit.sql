-- PostgreSQL: the share of block reads served from shared buffers: whole database, tables
-- and indexes (NULL before any read).
-- Why: below ~0.99 on a busy database the working set does not fit in shared_buffers
-- (docs/postgres_scaling.md, vertical sizing).
SELECT (SELECT blks_hit::float8 / nullif(blks_hit + blks_read, 0)
          FROM pg_stat_database WHERE datname = current_database()) AS database_ratio,
       (SELECT sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0)
          FROM pg_statio_user_tables) AS tables_ratio,
       (SELECT sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0)
          FROM pg_statio_user_indexes) AS indexes_ratio
