-- Change management (docs/itil.md): change requests for any change, approved by N people other
-- than the requester, the tasks and edits made under them, and their post-implementation review.

CREATE TABLE itil_changes (
  id                  uuid PRIMARY KEY,
  title               text NOT NULL,
  -- what is changed: tasks, template edits, CMDB edits, agent upgrades, anything else
  kinds               text[] NOT NULL CHECK (kinds <@ ARRAY['task', 'template', 'asset', 'agent_upgrade', 'other']::text[] AND cardinality(kinds) > 0),
  reason              text NOT NULL,
  risk                text NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  window_start        timestamptz(3) NOT NULL,
  window_end          timestamptz(3) NOT NULL,
  host_ids            uuid[] NOT NULL DEFAULT '{}',
  asset_ids           uuid[] NOT NULL DEFAULT '{}',
  approvals_required  integer NOT NULL DEFAULT 1 CHECK (approvals_required BETWEEN 1 AND 10),
  state               text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'approved', 'rejected', 'reviewed')),
  requested_by        text NOT NULL,
  -- the person behind the request (auth/person.ts): none of their credentials may approve it
  requester           text NOT NULL,
  outcome             text CHECK (outcome IN ('succeeded', 'failed', 'rolled_back')),
  review_notes        text,
  reviewed_by         text,
  reviewed_at         timestamptz(3),
  created_at          timestamptz(3) NOT NULL DEFAULT now(),
  version             integer NOT NULL DEFAULT 1,
  CHECK (window_end > window_start)
);
CREATE INDEX itil_changes_window ON itil_changes (window_start, window_end);
CREATE INDEX itil_changes_assets ON itil_changes USING gin (asset_ids);

CREATE TABLE itil_change_decisions (
  change_id  uuid NOT NULL REFERENCES itil_changes (id) ON DELETE CASCADE,
  person     text NOT NULL,
  name       text NOT NULL,
  decision   text NOT NULL CHECK (decision IN ('approved', 'rejected')),
  note       text NOT NULL DEFAULT '',
  at         timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (change_id, person)
);

-- What was done under a change: a task, a template edit, an asset edit.
CREATE TABLE itil_change_links (
  id         bigserial PRIMARY KEY,
  change_id  uuid NOT NULL REFERENCES itil_changes (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('task', 'template', 'asset')),
  object_id  uuid NOT NULL,
  actor      text NOT NULL,
  at         timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX itil_change_links_change ON itil_change_links (change_id, id);
CREATE INDEX itil_change_links_object ON itil_change_links (kind, object_id);

-- Change control policies may require an approved change request for these actions
-- (tasks on the hosts they cover; any template edit; any asset edit).
ALTER TABLE task_approval_policies
  ADD COLUMN require_change text[] NOT NULL DEFAULT '{}' CHECK (require_change <@ ARRAY['task', 'template', 'asset']::text[]);
