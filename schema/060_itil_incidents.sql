-- Incident management (docs/itil.md): priority from impact x urgency, an assignee, when the
-- incident was first acknowledged (time to acknowledge), escalation rules and the escalations done.

ALTER TABLE monitor_incidents
  ADD COLUMN impact           text CHECK (impact IN ('high', 'medium', 'low')),
  ADD COLUMN urgency          text CHECK (urgency IN ('high', 'medium', 'low')),
  ADD COLUMN priority         text CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
  -- set by a person (or raised by an escalation): a more severe problem no longer recomputes it
  ADD COLUMN priority_manual  boolean NOT NULL DEFAULT false,
  ADD COLUMN assignee_id      uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN acknowledged_at  timestamptz(3);

-- Incidents older than this migration: the priority their severity gives with the default matrix.
UPDATE monitor_incidents SET
  impact = CASE severity WHEN 'disaster' THEN 'high' WHEN 'high' THEN 'high' WHEN 'average' THEN 'medium' WHEN 'warning' THEN 'medium' ELSE 'low' END,
  urgency = CASE severity WHEN 'disaster' THEN 'high' WHEN 'high' THEN 'medium' WHEN 'average' THEN 'medium' ELSE 'low' END,
  priority = CASE severity WHEN 'disaster' THEN 'P1' WHEN 'high' THEN 'P2' WHEN 'average' THEN 'P3' ELSE 'P4' END;
UPDATE monitor_incidents i SET acknowledged_at = e.at
  FROM (SELECT incident_id, min(at) AS at FROM monitor_incident_events WHERE to_state = 'acknowledged' GROUP BY incident_id) e
  WHERE e.incident_id = i.id;

-- The first move to 'acknowledged' is the acknowledgement, whichever path made it (a problem
-- acknowledged, or the incident moved): recorded here so no writer of the timeline can forget it.
CREATE FUNCTION itil_incident_acknowledged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.to_state = 'acknowledged' THEN
    UPDATE monitor_incidents SET acknowledged_at = COALESCE(acknowledged_at, NEW.at) WHERE id = NEW.incident_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER itil_incident_acknowledged AFTER INSERT ON monitor_incident_events
  FOR EACH ROW EXECUTE FUNCTION itil_incident_acknowledged();

CREATE INDEX monitor_incidents_priority ON monitor_incidents (priority, opened_at) WHERE state IN ('open', 'acknowledged');

-- One row: the priority matrix, severity defaults and targets (server/itil/priority.ts has its shape and defaults).
CREATE TABLE itil_settings (
  id          smallint PRIMARY KEY CHECK (id = 1),
  doc         jsonb NOT NULL,
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_by  text NOT NULL,
  version     integer NOT NULL DEFAULT 1
);

CREATE TABLE itil_escalation_rules (
  id              uuid PRIMARY KEY,
  priority        text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
  -- 'acknowledge': still not acknowledged after_s after opening; 'resolve': still not resolved
  kind            text NOT NULL CHECK (kind IN ('acknowledge', 'resolve')),
  after_s         integer NOT NULL CHECK (after_s > 0),
  channel_id      uuid NOT NULL REFERENCES monitor_channels (id) ON DELETE CASCADE,
  raise_priority  boolean NOT NULL DEFAULT false,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  created_by      text NOT NULL
);

-- Each rule fires once per incident: the primary key makes two nodes (or two ticks) agree.
CREATE TABLE itil_escalations (
  incident_id  uuid NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  rule_id      uuid NOT NULL REFERENCES itil_escalation_rules (id) ON DELETE CASCADE,
  at           timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, rule_id)
);
