-- SQLite: gather statistics on every table and index into sqlite_stat1 (and sqlite_stat4).
-- Why: PRAGMA optimize analyses only what it judges stale; a full ANALYZE after large
-- imports or purges gives the planner current figures everywhere.
ANALYZE
