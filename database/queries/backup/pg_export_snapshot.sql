-- Backup: names this REPEATABLE READ transaction's snapshot, so that pg_dump --snapshot reads
-- exactly the rows the manifest's counts and checksums were computed from.
SELECT pg_export_snapshot() AS snapshot
