-- PostgreSQL, run on the read pool: whether it is a replica, and the age of the last
-- transaction it replayed (NULL on a primary or before the first replay).
-- Why: the lag selectors see when database.replica_url is set; on an idle primary this age
-- grows without anything being wrong, so read it with the primary's view above.
SELECT pg_is_in_recovery() AS in_recovery,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag_secs
