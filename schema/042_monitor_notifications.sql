-- Where problems and recoveries are sent, every delivery attempt's outcome, and maintenance windows.

CREATE TABLE monitor_channels (
  id            uuid PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  kind          text NOT NULL CHECK (kind IN ('webhook', 'email')),
  -- webhook: {url}; email: {smtp_host, smtp_port, secure, username?, from, to[]}
  settings      jsonb NOT NULL,
  -- webhook HMAC key / SMTP password; never returned by the API
  secret        text NOT NULL DEFAULT '',
  min_severity  text NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'warning', 'average', 'high', 'disaster')),
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  version       integer NOT NULL DEFAULT 1
);

CREATE TABLE monitor_deliveries (
  id               bigserial PRIMARY KEY,
  channel_id       uuid NOT NULL REFERENCES monitor_channels (id) ON DELETE CASCADE,
  problem_id       uuid REFERENCES monitor_problems (id) ON DELETE CASCADE,
  event            text NOT NULL,
  body             jsonb NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz(3) NOT NULL DEFAULT now(),
  last_status      integer,
  last_error       text,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  delivered_at     timestamptz(3)
);
CREATE INDEX monitor_deliveries_due ON monitor_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX monitor_deliveries_problem ON monitor_deliveries (problem_id);

CREATE TABLE monitor_maintenance (
  id             uuid PRIMARY KEY,
  name           text NOT NULL,
  host_id        uuid,
  host_group_id  uuid,
  starts_at      timestamptz(3) NOT NULL,
  ends_at        timestamptz(3) NOT NULL,
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  created_by     text NOT NULL,
  CHECK (ends_at > starts_at),
  CHECK ((host_id IS NULL) <> (host_group_id IS NULL))
);
CREATE INDEX monitor_maintenance_host ON monitor_maintenance (host_id, ends_at);
