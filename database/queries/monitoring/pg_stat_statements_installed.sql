-- PostgreSQL: whether the pg_stat_statements extension is installed in this database.
-- Why: the slowest-statements view exists only then (and reads only when the library is also
-- in shared_preload_libraries).
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed
