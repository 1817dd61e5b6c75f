-- SQLite: each table with its rows, its size and the size of its indexes, largest first,
-- counted from the b-tree pages themselves (the dbstat virtual table).
-- Why: where the file's space goes and which table grows. Rows are the cells of the table's
-- leaf pages (a rowid table keeps rows only there; a WITHOUT ROWID table keeps them in every
-- page of its b-tree), so the count is exact without a COUNT(*) per table.
WITH tables AS (
    SELECT name, wr FROM pragma_table_list
    WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'
),
pages AS (
    SELECT d.name, d.pagetype, d.ncell, d.pgsize, m.type, m.tbl_name
    FROM dbstat AS d
    JOIN sqlite_schema AS m ON m.name = d.name
)
SELECT t.name AS name,
       coalesce((SELECT sum(p.ncell) FROM pages p
                 WHERE p.name = t.name AND (p.pagetype = 'leaf' OR t.wr = 1)), 0) AS rows,
       coalesce((SELECT sum(p.pgsize) FROM pages p WHERE p.name = t.name), 0) AS table_bytes,
       coalesce((SELECT sum(p.pgsize) FROM pages p
                 WHERE p.type = 'index' AND p.tbl_name = t.name), 0) AS index_bytes
FROM tables t
ORDER BY table_bytes + index_bytes DESC, t.name
