-- Release management (docs/itil.md): versioned bundles (files by sha256 from the task file store,
-- commands, health checks), their rollouts in waves behind a health gate, and which release each
-- host runs.

CREATE TABLE itil_releases (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  version     text NOT NULL,
  -- [{sha256, path, mode}]; "{host_id}" in a path or command is the host's id
  files       jsonb NOT NULL,
  commands    jsonb NOT NULL,
  -- {checks: [command], max_severity_open: severity or null, settle_s}
  health      jsonb NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  UNIQUE (name, version)
);

CREATE TABLE itil_release_rollouts (
  id           uuid PRIMARY KEY,
  release_id   uuid NOT NULL REFERENCES itil_releases (id),
  kind         text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
  -- for a rollback: the rollout it undoes
  undoes       uuid REFERENCES itil_release_rollouts (id),
  host_ids     uuid[] NOT NULL,
  batch_size   integer NOT NULL CHECK (batch_size > 0),
  state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'stopped', 'failed')),
  current_wave integer NOT NULL DEFAULT 0,
  stop_reason  text,
  -- per wave: {wave, host_ids, tasks, gate: {passed, problems, failed_checks}}
  waves        jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  created_by   text NOT NULL,
  finished_at  timestamptz(3)
);
CREATE INDEX itil_release_rollouts_release ON itil_release_rollouts (release_id, created_at);

-- The release (per name) each host runs, and the one it ran before (what a rollback deploys).
CREATE TABLE itil_host_releases (
  host_id              uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  name                 text NOT NULL,
  release_id           uuid NOT NULL REFERENCES itil_releases (id),
  previous_release_id  uuid REFERENCES itil_releases (id),
  rollout_id           uuid NOT NULL REFERENCES itil_release_rollouts (id),
  at                   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id, name)
);
