-- SQLite: the columns of table $1 in declaration order: name, declared type, NOT NULL, default
-- and position in the primary key (0 when not part of it).
-- Why: the columns `baseops db schema-doc` lists, with the types as the migrations declared them.
SELECT name, type, "notnull" AS not_null, dflt_value AS default_value, pk
FROM pragma_table_info($1)
ORDER BY cid
