-- SQLite: let SQLite run ANALYZE on the tables whose statistics are missing or stale.
-- Why: the query planner's choice of index depends on those statistics; the SQLite authors
-- recommend it before closing long-lived connections and after schema or data changes.
PRAGMA optimize
