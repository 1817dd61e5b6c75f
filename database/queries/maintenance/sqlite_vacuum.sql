-- SQLite: rewrite the whole database file without its free pages (only with --vacuum).
-- Why: deleted rows leave free pages the file keeps; VACUUM returns them to the file system,
-- but it writes a full copy (needs that much free disk) and holds the write lock meanwhile.
VACUUM
