-- Change control for monitoring templates: a plugin item runs a program on every agent the template
-- reaches, so a policy may ask that template changes adding or changing plugin items wait for a
-- second operator, as tasks do.
ALTER TABLE task_approval_policies ADD COLUMN template_plugin_items boolean NOT NULL DEFAULT false;

-- A template change held for approval: the whole new content, applied as given once approved.
CREATE TABLE monitor_template_changes (
  id            uuid PRIMARY KEY,
  -- NULL: the change creates a template
  template_id   uuid REFERENCES monitor_templates (id) ON DELETE CASCADE,
  base_version  integer,
  content       jsonb NOT NULL,
  requested_by  text NOT NULL,
  -- the person who asked (auth/person.ts): a session and the same user's API key are one person
  requester     text,
  reason        text NOT NULL,
  risk          text NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  policy_ids    uuid[] NOT NULL,
  state         text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
  decided_by    text,
  decided_at    timestamptz(3),
  decision_note text,
  created_at    timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX monitor_template_changes_pending ON monitor_template_changes (created_at) WHERE state = 'pending';
