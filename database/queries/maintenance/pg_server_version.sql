-- PostgreSQL: the server's version number (150004 for 15.4).
-- Why: REINDEX ... CONCURRENTLY exists from 12 on; before it, a plain REINDEX blocks writes.
SELECT current_setting('server_version_num')::int AS version_num
