-- SQLite: the foreign keys of table $1, one row per column pair: the key's id, the column,
-- the table and column it points to, and what a delete or update of that row does.
-- Why: the references `baseops db schema-doc` lists and draws in the diagram.
SELECT id, seq, "from" AS from_column, "table" AS to_table, "to" AS to_column,
       on_update, on_delete
FROM pragma_foreign_key_list($1)
ORDER BY id, seq
