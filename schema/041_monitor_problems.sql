-- Problems (a trigger instance that fired), incidents grouping them, and both timelines.

CREATE TABLE monitor_incidents (
  id           uuid PRIMARY KEY,
  title        text NOT NULL,
  host_id      uuid,
  severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'average', 'high', 'disaster')),
  state        text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved', 'closed')),
  opened_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  resolved_at  timestamptz(3),
  closed_at    timestamptz(3),
  version      integer NOT NULL DEFAULT 1
);
CREATE INDEX monitor_incidents_state ON monitor_incidents (state, opened_at);
CREATE INDEX monitor_incidents_host ON monitor_incidents (host_id) WHERE state IN ('open', 'acknowledged');

CREATE TABLE monitor_problems (
  id               uuid PRIMARY KEY,
  host_id          uuid NOT NULL,
  -- '<template id>:<trigger key>', or a built-in such as 'agent.unreachable'
  trigger_ref      text NOT NULL,
  template_id      uuid,
  name             text NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'average', 'high', 'disaster')),
  expression       text NOT NULL DEFAULT '',
  opened_at        timestamptz(3) NOT NULL DEFAULT now(),
  value            double precision,
  resolved_at      timestamptz(3),
  recovery_value   double precision,
  -- raised in a maintenance window: recorded, nobody notified
  suppressed       boolean NOT NULL DEFAULT false,
  acknowledged_at  timestamptz(3),
  acknowledged_by  text,
  incident_id      uuid REFERENCES monitor_incidents (id)
);
-- One open problem per trigger instance: a problem already open is not raised again.
CREATE UNIQUE INDEX monitor_problems_open ON monitor_problems (host_id, trigger_ref) WHERE resolved_at IS NULL;
CREATE INDEX monitor_problems_opened ON monitor_problems (opened_at);
CREATE INDEX monitor_problems_incident ON monitor_problems (incident_id);

CREATE TABLE monitor_problem_events (
  id          bigserial PRIMARY KEY,
  problem_id  uuid NOT NULL REFERENCES monitor_problems (id) ON DELETE CASCADE,
  at          timestamptz(3) NOT NULL DEFAULT now(),
  kind        text NOT NULL CHECK (kind IN ('problem', 'recovery', 'acknowledge', 'comment')),
  actor       text NOT NULL DEFAULT 'system',
  comment     text NOT NULL DEFAULT '',
  value       double precision
);
CREATE INDEX monitor_problem_events_problem ON monitor_problem_events (problem_id, id);

CREATE TABLE monitor_incident_events (
  id           bigserial PRIMARY KEY,
  incident_id  uuid NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  at           timestamptz(3) NOT NULL DEFAULT now(),
  kind         text NOT NULL,
  actor        text NOT NULL DEFAULT 'system',
  comment      text NOT NULL DEFAULT '',
  from_state   text,
  to_state     text,
  problem_id   uuid
);
CREATE INDEX monitor_incident_events_incident ON monitor_incident_events (incident_id, id);
