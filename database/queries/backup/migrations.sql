-- Backup: the applied migrations, the schema version a backup records and a restore checks.
SELECT version
  FROM seaql_migrations
 ORDER BY version
