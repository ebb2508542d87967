-- Change management reaches every action it names (docs/itil.md): release rollouts and agent
-- upgrades are kinds a change may cover and policies may require, held template changes and
-- every CMDB asset edit (transitions too) can be made under a change, and each link says what was
-- done ("transition online -> maintenance", "shop 2.0 to 3 hosts").

ALTER TABLE itil_changes DROP CONSTRAINT itil_changes_kinds_check;
ALTER TABLE itil_changes ADD CONSTRAINT itil_changes_kinds_check
  CHECK (kinds <@ ARRAY['task', 'template', 'asset', 'release', 'agent_upgrade', 'other']::text[] AND cardinality(kinds) > 0);

-- release: a rollout (object_id is the rollout); agent_upgrade: an agent-upgrade task.
ALTER TABLE itil_change_links DROP CONSTRAINT itil_change_links_kind_check;
ALTER TABLE itil_change_links ADD CONSTRAINT itil_change_links_kind_check
  CHECK (kind IN ('task', 'template', 'asset', 'release', 'agent_upgrade'));
ALTER TABLE itil_change_links ADD COLUMN note text NOT NULL DEFAULT '';

-- release and agent_upgrade apply, like task, on the hosts the policy covers.
ALTER TABLE task_approval_policies DROP CONSTRAINT task_approval_policies_require_change_check;
ALTER TABLE task_approval_policies ADD CONSTRAINT task_approval_policies_require_change_check
  CHECK (require_change <@ ARRAY['task', 'template', 'asset', 'release', 'agent_upgrade']::text[]);

-- The change a rollout (and so each of its step tasks) is made under.
ALTER TABLE itil_release_rollouts ADD COLUMN change_id uuid REFERENCES itil_changes (id);

-- A held template change applied under an approved change request: the change's approvers stood
-- for the second operator.
ALTER TABLE monitor_template_changes ADD COLUMN change_id uuid REFERENCES itil_changes (id);
