-- A write-ahead row is float64 triples (series id, t, v) that pglz barely shrinks: trying cost ~25 ms of
-- a 20,000-point write's ~40 ms (measured on Postgres 15). EXTERNAL stores it out of line uncompressed.
ALTER TABLE metric_wal ALTER COLUMN data SET STORAGE EXTERNAL;
