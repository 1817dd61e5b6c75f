-- PostgreSQL primary: each streaming replica, its state and how far behind it is (time and
-- bytes of WAL not yet replayed).
-- Why: selectors read from the replica (database.replica_url); a lagging replica serves stale
-- lists, and a disconnected one holds WAL on the primary's disk through its slot.
SELECT coalesce(application_name, '')::text AS name,
       coalesce(host(client_addr), 'local')::text AS client,
       coalesce(state, '')::text AS state,
       extract(epoch FROM replay_lag)::float8 AS replay_lag_secs,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes
FROM pg_stat_replication
ORDER BY 1, 2
