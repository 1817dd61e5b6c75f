-- Backup: one table's columns in declaration order, with each one's position in the primary
-- key (0: not part of it), to build the checksum's row text and its order.
SELECT name, pk
  FROM pragma_table_info(?)
 ORDER BY cid
