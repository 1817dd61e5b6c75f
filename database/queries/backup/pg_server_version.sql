-- Backup: the server's version as a number (150004 for 15.4), to choose the checksum.
SELECT current_setting('server_version_num')::int AS version
