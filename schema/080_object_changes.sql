-- Every change of a CMDB or monitoring object, one row a change (NetBox's ObjectChange): what object,
-- what was done, its state before and after, who did it and in which request. Written in the
-- transaction that made the change, by server/history/object-changes.ts alone.
CREATE TABLE object_changes (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  object_type  text NOT NULL CHECK (object_type IN ('host', 'host_group', 'asset_type', 'asset', 'template', 'template_item', 'trigger',
                                                    'notification_channel', 'maintenance_window', 'task_policy')),
  object_id    text NOT NULL,
  action       text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  before       jsonb,
  after        jsonb,
  actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'system')),
  actor_id     text NOT NULL,
  request_id   text,
  at           timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX object_changes_object ON object_changes (object_type, object_id, id);

-- Evidence, like asset_changes: the database refuses to rewrite or forget it.
CREATE FUNCTION object_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'object_changes is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER object_changes_no_update BEFORE UPDATE OR DELETE ON object_changes FOR EACH ROW EXECUTE FUNCTION object_changes_append_only();
CREATE TRIGGER object_changes_no_truncate BEFORE TRUNCATE ON object_changes FOR EACH STATEMENT EXECUTE FUNCTION object_changes_append_only();

-- An asset's field rows are the detail of one object change: change_id names it.
ALTER TABLE asset_changes ADD COLUMN change_id bigint REFERENCES object_changes (id);

-- Asset changes recorded before this migration: one object change per statement that wrote them
-- (same asset, actor, request and time), before/after holding the fields it changed.
CREATE TEMPORARY TABLE asset_change_groups ON COMMIT DROP AS
  SELECT asset_id, actor_kind, actor_id, request_id, at,
         CASE WHEN bool_or(action = 'create' AND component_id IS NULL) THEN 'create'
              WHEN bool_or(action = 'delete' AND component_id IS NULL) THEN 'delete' ELSE 'update' END AS action,
         jsonb_object_agg(field, old_value) AS before, jsonb_object_agg(field, new_value) AS after, min(id) AS first_id
  FROM asset_changes GROUP BY asset_id, actor_kind, actor_id, request_id, at;
ALTER TABLE asset_change_groups ADD COLUMN change_id bigint;
WITH made AS (
  INSERT INTO object_changes (object_type, object_id, action, before, after, actor_kind, actor_id, request_id, at)
  SELECT 'asset', asset_id::text, action, CASE WHEN action = 'create' THEN NULL ELSE before END,
         CASE WHEN action = 'delete' THEN NULL ELSE after END, actor_kind, actor_id, request_id, at
  FROM asset_change_groups ORDER BY first_id
  RETURNING id, object_id, actor_kind, actor_id, request_id, at
)
UPDATE asset_change_groups g SET change_id = made.id FROM made
  WHERE made.object_id = g.asset_id::text AND made.actor_kind = g.actor_kind AND made.actor_id = g.actor_id
    AND made.request_id IS NOT DISTINCT FROM g.request_id AND made.at = g.at;
ALTER TABLE asset_changes DISABLE TRIGGER asset_changes_no_update;
UPDATE asset_changes c SET change_id = g.change_id FROM asset_change_groups g
  WHERE g.asset_id = c.asset_id AND g.actor_kind = c.actor_kind AND g.actor_id = c.actor_id
    AND g.request_id IS NOT DISTINCT FROM c.request_id AND g.at = c.at;
ALTER TABLE asset_changes ENABLE TRIGGER asset_changes_no_update;
