-- Problem management (docs/itil.md): records of a root cause across incidents, called known errors
-- so they do not clash with the monitor's problems (a trigger that fired). A known error may carry
-- a rule (a trigger, optionally a host group) that links new incidents to it as they open.

CREATE TABLE itil_known_errors (
  id                   uuid PRIMARY KEY,
  title                text NOT NULL,
  status               text NOT NULL DEFAULT 'investigating' CHECK (status IN ('investigating', 'known_error', 'resolved')),
  suspected_cause      text NOT NULL DEFAULT '',
  root_cause           text NOT NULL DEFAULT '',
  workaround           text NOT NULL DEFAULT '',
  match_trigger_ref    text,
  match_host_group_id  uuid REFERENCES host_groups (id) ON DELETE SET NULL,
  created_at           timestamptz(3) NOT NULL DEFAULT now(),
  created_by           text NOT NULL,
  updated_at           timestamptz(3) NOT NULL DEFAULT now(),
  resolved_at          timestamptz(3),
  version              integer NOT NULL DEFAULT 1
);
CREATE INDEX itil_known_errors_rule ON itil_known_errors (match_trigger_ref) WHERE status <> 'resolved';

CREATE TABLE itil_known_error_incidents (
  known_error_id  uuid NOT NULL REFERENCES itil_known_errors (id) ON DELETE CASCADE,
  incident_id     uuid NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  -- 'rule' when linked as the incident opened, else who linked it
  linked_by       text NOT NULL,
  linked_at       timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (known_error_id, incident_id)
);
CREATE INDEX itil_known_error_incidents_incident ON itil_known_error_incidents (incident_id);
