-- SQLite: the tables of the schema, sorted, without SQLite's own (sqlite_*) and the migration
-- record (seaql_migrations is sea-orm-migration's, not the apps').
-- Why: the list `baseops db schema-doc` documents, in a stable order.
SELECT name
FROM pragma_table_list
WHERE schema = 'main' AND type = 'table'
  AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'
ORDER BY name
