-- SQLite: the page size, the number of pages, the free (reusable) pages, the journal mode
-- and the library's version.
-- Why: page_count x page_size is the database's size; many free pages mean space only
-- `baseops db maintain --vacuum` gives back to the file system; journal mode must be WAL
-- for reads not to wait for writes.
SELECT (SELECT page_size FROM pragma_page_size()) AS page_size,
       (SELECT page_count FROM pragma_page_count()) AS page_count,
       (SELECT freelist_count FROM pragma_freelist_count()) AS freelist_count,
       (SELECT journal_mode FROM pragma_journal_mode()) AS journal_mode,
       sqlite_version() AS version
