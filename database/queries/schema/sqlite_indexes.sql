-- SQLite: the indexes of table $1, sorted by name: unique or not, how SQLite made it (c: CREATE
-- INDEX, u: a UNIQUE constraint, pk: the primary key), partial or not, and its columns in order.
-- Why: the indexes `baseops db schema-doc` lists.
SELECT l.name AS name, l."unique" AS is_unique, l.origin AS origin, l.partial AS partial,
       (SELECT group_concat(coalesce(i.name, '(expression)'), ', ')
          FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno) AS i) AS columns
FROM pragma_index_list($1) AS l
ORDER BY l.name
