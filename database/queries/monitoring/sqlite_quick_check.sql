-- SQLite: PRAGMA quick_check, the integrity check without the index-content verification;
-- one row "ok", or one row per problem found (at most 20).
-- Why: detects a damaged file (bad disk, a copy taken without the WAL) before a backup of it
-- is trusted; O(size of the file) but much faster than integrity_check.
SELECT quick_check AS result FROM pragma_quick_check LIMIT 20
