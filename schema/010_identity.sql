-- People and other systems that call the API: users with roles, dashboard sessions, one-time
-- login links and API keys. Only hashes of tokens and secrets are kept (scrypt for passwords,
-- sha256 for high-entropy tokens), so a copy of the database logs nobody in.

CREATE TABLE users (
  id             uuid PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name   text NOT NULL DEFAULT '',
  role           text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  -- scrypt$<log2 N>$<r>$<p>$<salt>$<hash>; NULL until the user sets one (one-time login only).
  password_hash  text,
  disabled_at    timestamptz,
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  created_by     text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  last_login_at  timestamptz,
  -- optimistic concurrency: the ETag of the user; every change adds one.
  version        integer NOT NULL DEFAULT 1
);

-- Dashboard sessions and one-time login links (kind 'one_time': exchanged once for a session).
CREATE TABLE sessions (
  id              text PRIMARY KEY,
  token_hash      bytea NOT NULL UNIQUE,
  kind            text NOT NULL CHECK (kind IN ('session', 'one_time')),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  last_used_at    timestamptz,
  used_at         timestamptz,
  revoked_at      timestamptz,
  remote_address  text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_keys (
  -- the public half, awk_ + 16 hex digits: safe to log and show.
  id                 text PRIMARY KEY CHECK (id ~ '^awk_[0-9a-f]{16}$'),
  name               text NOT NULL,
  -- the user the key acts for: it never holds more than that user's role does now.
  owner_id           uuid REFERENCES users (id) ON DELETE CASCADE,
  scopes             text[] NOT NULL,
  -- sha256(secret) checks bearer use; signing_key = HMAC-SHA256(secret, 'aw1-request-signing')
  -- checks signed requests. Neither gives the secret back.
  secret_hash        bytea NOT NULL,
  signing_key        bytea NOT NULL,
  require_signature  boolean NOT NULL DEFAULT false,
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  created_by         text NOT NULL,
  expires_at         timestamptz,
  last_used_at       timestamptz,
  last_used_from     text,
  revoked_at         timestamptz,
  revoked_by         text,
  version            integer NOT NULL DEFAULT 1
);
CREATE INDEX api_keys_owner ON api_keys (owner_id);
