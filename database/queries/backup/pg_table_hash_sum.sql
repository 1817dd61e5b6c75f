-- Backup: one table's row count and the sums of its rows' hashes (checksum row-hash-sum,
-- PostgreSQL 14 and later). hash_record_extended hashes each column with its type's own
-- 64-bit hash function — no conversion to text — once with seed 0 and once with seed 1; each
-- is summed exactly (sum(bigint) is numeric). Sums do not depend on the order rows are read
-- in, so this is one sequential scan. {table} is the name pg_tables.sql quoted with
-- format('%I.%I'), never input. Every column's type needs a hash function: `jsonb`, never
-- `json` (the PostgreSQL backup tests fail on a type without one).
SELECT count(*) AS rows,
       coalesce(sum(hash_record_extended(t, 0)), 0)::text AS high,
       coalesce(sum(hash_record_extended(t, 1)), 0)::text AS low
  FROM {table} AS t
