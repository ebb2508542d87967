-- First cut of the metric store: series metadata, raw points, and the batches already committed
-- (an agent resending a batch whose ack it lost must not store its points twice).

CREATE TABLE metric_series (
  id          bigserial PRIMARY KEY,
  host_id     uuid NOT NULL,
  name        text NOT NULL,
  labels      jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (host_id, name, labels)
);

CREATE TABLE metric_points_raw (
  series_id  bigint NOT NULL,
  ts         timestamptz NOT NULL,
  value      double precision NOT NULL,
  PRIMARY KEY (series_id, ts)
);

CREATE TABLE ingest_batches (
  agent_id      uuid NOT NULL,
  batch_id      bigint NOT NULL,
  committed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, batch_id)
);
