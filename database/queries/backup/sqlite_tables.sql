-- Backup: every table of the SQLite file except SQLite's own (sqlite_sequence, sqlite_stat1…),
-- by name; the columns and primary key of each come from sqlite_columns.sql.
SELECT name
  FROM sqlite_schema
 WHERE type = 'table'
   AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
 ORDER BY name
