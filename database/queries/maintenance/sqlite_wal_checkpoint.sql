-- SQLite: copy the write-ahead log into the database file and truncate the log to zero bytes.
-- Why: a WAL that was never fully checkpointed (a reader always open) only grows; one row:
-- busy (1 when a reader blocked it), the log's frames and the frames checkpointed.
PRAGMA wal_checkpoint(TRUNCATE)
