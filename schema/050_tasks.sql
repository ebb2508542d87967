-- Batch tasks: commands and file pushes to many hosts, in rolling waves (docs/tasks.md).

-- Uploaded files, stored once by content (DATA_DIR/files/<sha256>).
CREATE TABLE task_files (
  sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size        bigint NOT NULL CHECK (size >= 0),
  name        text NOT NULL DEFAULT '',
  created_by  text NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
  id                uuid PRIMARY KEY,
  name              text NOT NULL DEFAULT '',
  kind              text NOT NULL CHECK (kind IN ('shell', 'argv', 'script', 'file')),
  -- the action and run options as the API took them (command, argv, script, file target, env...)
  spec              jsonb NOT NULL,
  -- text searched by ?q= (command line, script, file path)
  summary           text NOT NULL DEFAULT '',
  state             text NOT NULL CHECK (state IN ('awaiting_approval', 'running', 'done', 'stopped', 'cancelled', 'rejected')),
  requested_by      text NOT NULL,
  created_at        timestamptz(3) NOT NULL DEFAULT now(),
  expires_at        timestamptz(3) NOT NULL,
  finished_at       timestamptz(3),
  batch_size        integer NOT NULL CHECK (batch_size > 0),
  max_concurrency   integer NOT NULL CHECK (max_concurrency > 0),
  -- stop the task once more than this many hosts failed (null: never stop)
  failure_limit     integer CHECK (failure_limit >= 0),
  current_wave      integer NOT NULL DEFAULT 0,
  stop_reason       text,
  file_sha256       text REFERENCES task_files (sha256)
);
CREATE INDEX tasks_created ON tasks (created_at, id);
CREATE INDEX tasks_running ON tasks (state) WHERE state = 'running';

CREATE TABLE task_hosts (
  task_id      uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  host_id      uuid NOT NULL REFERENCES hosts (id),
  agent_id     uuid REFERENCES agents (id),
  wave         integer NOT NULL,
  -- sent: the order went out, no word from the agent yet
  state        text NOT NULL CHECK (state IN ('queued', 'sent', 'running', 'ok', 'failed', 'timed_out', 'cancelled', 'unreachable', 'refused')),
  nonce        text,
  exit_code    integer,
  signal       text,
  stdout       text NOT NULL DEFAULT '',
  stderr       text NOT NULL DEFAULT '',
  stdout_cut   boolean NOT NULL DEFAULT false,
  stderr_cut   boolean NOT NULL DEFAULT false,
  duration_ms  integer,
  message      text,
  sent_at      timestamptz(3),
  finished_at  timestamptz(3),
  PRIMARY KEY (task_id, host_id)
);
CREATE INDEX task_hosts_agent_waiting ON task_hosts (agent_id) WHERE state IN ('queued', 'sent', 'running');
CREATE INDEX task_hosts_task_state ON task_hosts (task_id, state);

-- Change control: hosts whose tasks need a second operator's approval.
CREATE TABLE task_approval_policies (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  host_ids    uuid[] NOT NULL DEFAULT '{}',
  -- host groups and tags, resolved by the CMDB's target resolver
  groups      text[] NOT NULL DEFAULT '{}',
  tags        text[] NOT NULL DEFAULT '{}',
  created_by  text NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);

-- A change request: one per task that a policy caught.
CREATE TABLE task_change_requests (
  id           uuid PRIMARY KEY,
  task_id      uuid NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
  requested_by text NOT NULL,
  reason       text NOT NULL,
  risk         text NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  policy_ids   uuid[] NOT NULL,
  state        text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
  decided_by   text,
  decided_at   timestamptz(3),
  decision_note text,
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
