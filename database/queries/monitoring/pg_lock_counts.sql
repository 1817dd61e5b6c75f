-- PostgreSQL: locks held or awaited in this database, by mode.
-- Why: a growing count of ungranted locks is the first sign of contention (a migration
-- waiting for an ACCESS EXCLUSIVE lock queues every request behind it).
SELECT l.mode::text AS mode,
       l.granted AS granted,
       count(*)::bigint AS count
FROM pg_locks l
LEFT JOIN pg_database d ON d.oid = l.database
WHERE l.database IS NULL OR d.datname = current_database()
GROUP BY 1, 2
ORDER BY 2, 3 DESC, 1
