-- Backup: fixes how values are written as text for the checksums (time zone, dates, floats,
-- binary), so the same rows give the same text whatever the server's or role's defaults.
SELECT set_config('TimeZone', 'UTC', true),
       set_config('DateStyle', 'ISO, YMD', true),
       set_config('IntervalStyle', 'postgres', true),
       set_config('extra_float_digits', '3', true),
       set_config('bytea_output', 'hex', true)
