-- Compact metric history (server/store/postgres/chunk-store.ts, docs/metrics.md): one row per series,
-- tier and time chunk holding Gorilla-coded points (tier 0) or encoded rollup buckets (tier = bucket
-- width in seconds). Partitioned by tier so each tier's size on disk is its own relation; the store
-- creates one partition per configured tier at start. Replaces the one-row-per-point table of 002.

DROP TABLE metric_points_raw;

CREATE TABLE metric_chunks (
  tier         integer NOT NULL,
  series_id    bigint NOT NULL,
  chunk_start  bigint NOT NULL,  -- ms since the epoch, a multiple of the tier's chunk span
  n            integer NOT NULL, -- points or buckets in data, for query planning without decoding
  data         bytea NOT NULL,
  PRIMARY KEY (tier, series_id, chunk_start)
) PARTITION BY LIST (tier);

-- Write-ahead rows: the points of each acknowledged write since the writer's last checkpoint (the open
-- chunks live in memory). Replayed at start; deleted by the checkpoint that folds them into chunks.
CREATE TABLE metric_wal (
  writer  text NOT NULL,
  seq     bigserial,
  data    bytea NOT NULL,
  PRIMARY KEY (writer, seq)
);

-- Per tier, the time before which retention may have dropped data: a query reaching earlier is
-- answered from a coarser tier.
CREATE TABLE metric_tier_horizons (
  tier            integer PRIMARY KEY,
  dropped_before  bigint NOT NULL
);

-- Committed batch ids are pruned by the retention job; this finds the old ones.
CREATE INDEX ingest_batches_committed_at ON ingest_batches (committed_at);

-- Per writer, the last generation of pending points its checkpoints folded into metric_chunks: a query
-- reading chunks in one snapshot with this row knows which in-memory points the chunks already hold.
CREATE TABLE metric_checkpoints (
  writer      text PRIMARY KEY,
  generation  bigint NOT NULL
);
