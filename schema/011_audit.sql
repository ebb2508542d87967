-- Who changed what, when, from where, with which result: one row per request that changes
-- something (and every login). Append-only: the triggers below refuse UPDATE, DELETE and TRUNCATE
-- for every role, so even a compromised API process cannot rewrite history.

CREATE TABLE audit_log (
  id              bigserial PRIMARY KEY,
  at              timestamptz(3) NOT NULL,
  request_id      text NOT NULL,
  actor_kind      text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'anonymous', 'system')),
  actor_id        text,
  actor_name      text,
  method          text NOT NULL,
  path            text NOT NULL,
  -- the route template, e.g. /api/v1/users/:id; resource holds its params (the ids).
  route           text,
  resource        jsonb NOT NULL DEFAULT '{}',
  -- what the handler chose to add (username tried at login, id of what was made); never secrets.
  detail          jsonb NOT NULL DEFAULT '{}',
  status          integer NOT NULL,
  error_code      text,
  remote_address  text NOT NULL DEFAULT '',
  duration_ms     real NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_request ON audit_log (request_id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
