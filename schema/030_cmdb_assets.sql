-- CMDB: asset types, assets, components, the append-only change log, the discovery approval queue.
-- Assets are never removed: DELETE marks them deleted, so ids and tags are never reused and their
-- history stays readable.

CREATE TABLE asset_types (
  name           text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
  label          text NOT NULL,
  builtin        boolean NOT NULL DEFAULT false,
  -- JSON schema (draft 2020-12 subset ajv knows) the asset's `custom` object must satisfy.
  fields_schema  jsonb NOT NULL DEFAULT '{"type":"object"}',
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now(),
  version        integer NOT NULL DEFAULT 1
);
INSERT INTO asset_types (name, label, builtin) VALUES
  ('server', 'Server', true),
  ('vm', 'Virtual machine', true),
  ('network', 'Network device', true),
  ('storage', 'Storage', true),
  ('security', 'Security device', true),
  ('licence', 'Software licence', true);

-- Asset tags AW-000001...: a sequence hands each number out once, even when the insert rolls back.
CREATE SEQUENCE asset_tag_seq;

CREATE TABLE assets (
  id               uuid PRIMARY KEY,
  tag              text NOT NULL UNIQUE,
  type             text NOT NULL REFERENCES asset_types (name),
  name             text NOT NULL,
  state            text NOT NULL CHECK (state IN ('procured', 'in_stock', 'online', 'maintenance', 'offline', 'retired', 'disposed')),
  -- what the machine says about itself (by hand or from the agent's inventory)
  vendor           text,
  model            text,
  serial           text,
  system_uuid      text,
  machine_id       text,
  hostname         text,
  os_name          text,
  os_version       text,
  kernel           text,
  arch             text,
  memory_bytes     bigint,
  -- where it is and whose it is
  idc              text,
  rack             text,
  rack_unit        integer,
  owner            text,
  business_unit    text,
  supplier         text,
  contract         text,
  purchase_date    date,
  warranty_until   date,
  tags             text[] NOT NULL DEFAULT '{}',
  custom           jsonb NOT NULL DEFAULT '{}',
  notes            text NOT NULL DEFAULT '',
  host_id          uuid REFERENCES hosts (id),
  agent_id         uuid REFERENCES agents (id),
  -- lower-case name, tag, serial, hostname, IPs and MACs: what ?q= searches
  search_text      text NOT NULL DEFAULT '',
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now(),
  deleted_at       timestamptz(3),
  version          integer NOT NULL DEFAULT 1
);
CREATE INDEX assets_live_tag ON assets (tag, id) WHERE deleted_at IS NULL;
CREATE INDEX assets_live_name ON assets (name, id) WHERE deleted_at IS NULL;
CREATE INDEX assets_live_updated ON assets (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX assets_type_state ON assets (type, state) WHERE deleted_at IS NULL;
CREATE INDEX assets_idc ON assets (idc) WHERE deleted_at IS NULL;
CREATE INDEX assets_serial ON assets (lower(serial)) WHERE deleted_at IS NULL;
CREATE INDEX assets_system_uuid ON assets (system_uuid) WHERE deleted_at IS NULL;
CREATE INDEX assets_machine_id ON assets (machine_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_agent ON assets (agent_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX assets_host ON assets (host_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_tags ON assets USING gin (tags);

-- An asset's id and tag never change (the CMDB's third law), whatever code runs.
CREATE FUNCTION assets_keep_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.tag <> OLD.tag THEN
    RAISE EXCEPTION 'an asset''s id and tag never change' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER assets_keep_identity BEFORE UPDATE ON assets FOR EACH ROW EXECUTE FUNCTION assets_keep_identity();

CREATE TABLE asset_components (
  id          uuid PRIMARY KEY,
  asset_id    uuid NOT NULL REFERENCES assets (id),
  kind        text NOT NULL CHECK (kind IN ('cpu', 'memory', 'disk', 'nic', 'raid', 'psu', 'gpu')),
  -- where it sits in the asset: socket, DIMM slot, disk or interface name, PCI slot
  slot        text NOT NULL,
  attrs       jsonb NOT NULL DEFAULT '{}',
  source      text NOT NULL CHECK (source IN ('manual', 'agent', 'api', 'import')),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (asset_id, kind, slot)
);
CREATE INDEX asset_components_mac ON asset_components (lower(attrs->>'mac')) WHERE kind = 'nic';

-- Every create, update, delete and transition of an asset or component, one row per field.
CREATE TABLE asset_changes (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id      uuid NOT NULL REFERENCES assets (id),
  component_id  uuid,
  action        text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'transition')),
  field         text NOT NULL,
  old_value     jsonb,
  new_value     jsonb,
  actor_kind    text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'system')),
  actor_id      text NOT NULL,
  source        text NOT NULL CHECK (source IN ('manual', 'agent', 'api', 'import')),
  reason        text,
  request_id    text,
  at            timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX asset_changes_asset ON asset_changes (asset_id, id);

-- The log is evidence: the database itself refuses to rewrite or forget it.
CREATE FUNCTION asset_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'asset_changes is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER asset_changes_no_update BEFORE UPDATE OR DELETE ON asset_changes FOR EACH ROW EXECUTE FUNCTION asset_changes_append_only();
CREATE TRIGGER asset_changes_no_truncate BEFORE TRUNCATE ON asset_changes FOR EACH STATEMENT EXECUTE FUNCTION asset_changes_append_only();

-- Inventory reports from machines no asset matches, waiting for an admin.
CREATE TABLE asset_approvals (
  id           uuid PRIMARY KEY,
  agent_id     uuid NOT NULL REFERENCES agents (id),
  host_id      uuid REFERENCES hosts (id),
  state        text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
  hostname     text NOT NULL DEFAULT '',
  serial       text,
  system_uuid  text,
  machine_id   text,
  report       jsonb NOT NULL,
  -- why no asset matched: no candidate, or which ones were ambiguous / conflicting
  match_note   text NOT NULL DEFAULT '',
  reports      integer NOT NULL DEFAULT 1,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  decided_at   timestamptz(3),
  decided_by   text,
  reason       text,
  asset_id     uuid REFERENCES assets (id),
  version      integer NOT NULL DEFAULT 1
);
-- one open or rejected entry per agent: later reports refresh it instead of queueing again
CREATE UNIQUE INDEX asset_approvals_open ON asset_approvals (agent_id) WHERE state IN ('pending', 'rejected');
CREATE INDEX asset_approvals_state ON asset_approvals (state, created_at, id);
