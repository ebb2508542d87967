-- Monitoring templates: named sets of items (what the agent checks, how often) and triggers (when
-- that is a problem). Items and triggers live in the template as JSON lists: they are edited and
-- versioned with it, and a trigger instance is (host, template, trigger key).

CREATE TABLE monitor_templates (
  id           uuid PRIMARY KEY,
  name         text NOT NULL UNIQUE,
  description  text NOT NULL DEFAULT '',
  items        jsonb NOT NULL DEFAULT '[]',
  triggers     jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  created_by   text NOT NULL,
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  version      integer NOT NULL DEFAULT 1
);

-- A template takes in the items and triggers of the ones it includes (no cycles; checked on write).
CREATE TABLE monitor_template_includes (
  template_id  uuid NOT NULL REFERENCES monitor_templates (id) ON DELETE CASCADE,
  included_id  uuid NOT NULL REFERENCES monitor_templates (id) ON DELETE RESTRICT,
  PRIMARY KEY (template_id, included_id),
  CHECK (template_id <> included_id)
);

CREATE TABLE monitor_template_hosts (
  template_id  uuid NOT NULL REFERENCES monitor_templates (id) ON DELETE CASCADE,
  host_id      uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  linked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, host_id)
);
CREATE INDEX monitor_template_hosts_host ON monitor_template_hosts (host_id);

-- Host groups belong to the CMDB (030-039); no foreign key so either side can land first.
CREATE TABLE monitor_template_host_groups (
  template_id    uuid NOT NULL REFERENCES monitor_templates (id) ON DELETE CASCADE,
  host_group_id  uuid NOT NULL,
  linked_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, host_group_id)
);
CREATE INDEX monitor_template_host_groups_group ON monitor_template_host_groups (host_group_id);
