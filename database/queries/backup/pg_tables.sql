-- Backup: every table of the current schema with its quoted name and primary key columns.
-- The checksum reads each table in primary-key order; names come quoted by PostgreSQL itself
-- (format('%I')) because they are put into SQL text. A table without a primary key has an
-- empty key list and is read in the order of its rows' text.
SELECT c.relname AS name,
       format('%I.%I', n.nspname, c.relname) AS quoted,
       coalesce((SELECT string_agg(format('%I', a.attname), ', ' ORDER BY k.position)
                   FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = c.oid AND i.indisprimary), '') AS key_columns
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema()
   AND c.relkind IN ('r', 'p')
 ORDER BY c.relname
