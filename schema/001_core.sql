-- Hosts, the agents that run on them, and the tokens agents enroll with.
-- Migration number ranges: 001-009 core, 010-019 identity and API, 020-029 metric series,
-- 030-039 CMDB, 040-049 monitoring, 050-059 tasks, 060-069 cluster.

CREATE TABLE hosts (
  id          uuid PRIMARY KEY,
  hostname    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_hostname ON hosts (hostname);

CREATE TABLE enrollment_tokens (
  id          text PRIMARY KEY,
  -- sha256 of the token: the token itself is shown once and never stored.
  token_hash  bytea NOT NULL UNIQUE,
  note        text NOT NULL DEFAULT '',
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  uses_left   integer NOT NULL CHECK (uses_left >= 0),
  -- agents enrolled with this token start active (e.g. the local agent `make run` starts)
  auto_approve boolean NOT NULL DEFAULT false,
  revoked_at  timestamptz
);

CREATE TABLE agents (
  id             uuid PRIMARY KEY,
  host_id        uuid NOT NULL REFERENCES hosts (id),
  -- per-agent HMAC-SHA256 key; the gateway needs it in clear to verify frames.
  secret         bytea NOT NULL,
  state          text NOT NULL CHECK (state IN ('pending', 'active', 'revoked')),
  hostname       text NOT NULL,
  agent_version  text NOT NULL DEFAULT '',
  os             text NOT NULL DEFAULT '',
  machine_id     text NOT NULL DEFAULT '',
  token_id       text REFERENCES enrollment_tokens (id),
  enrolled_at    timestamptz NOT NULL DEFAULT now(),
  approved_at    timestamptz,
  approved_by    text,
  revoked_at     timestamptz,
  revoked_by     text,
  last_seen_at   timestamptz
);
CREATE INDEX agents_host ON agents (host_id);
CREATE INDEX agents_state ON agents (state);

-- The server's ed25519 key pair: it signs tasks; agents pin the public half at enrollment.
-- One row, shared by every server node of a cluster.
CREATE TABLE server_identity (
  id           integer PRIMARY KEY CHECK (id = 1),
  sign_public  bytea NOT NULL,
  sign_secret  bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
