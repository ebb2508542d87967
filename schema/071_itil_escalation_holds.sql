-- Escalation rules that came due while every host of the incident was in a maintenance window:
-- one row per incident and rule, so the timeline says "held" once, not at every tick. The rule
-- fires normally once no window covers the hosts any more (if the incident is still open).
CREATE TABLE itil_escalation_holds (
  incident_id  uuid NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  rule_id      uuid NOT NULL REFERENCES itil_escalation_rules (id) ON DELETE CASCADE,
  at           timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, rule_id)
);
