-- Hosts as the CMDB sees them (tags, a description, a version for If-Match) and host groups: static
-- members plus dynamic rules, resolved to hosts in one query (server/cmdb/targets.ts).

ALTER TABLE hosts ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS description text NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
CREATE INDEX IF NOT EXISTS hosts_tags ON hosts USING gin (tags);

CREATE TABLE host_groups (
  id           uuid PRIMARY KEY,
  name         text NOT NULL UNIQUE,
  description  text NOT NULL DEFAULT '',
  -- [{ "field": "asset.idc", "op": "eq", "value": "bj1" }, ...], all must hold; [] = static members only
  rules        jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  version      integer NOT NULL DEFAULT 1
);

CREATE TABLE host_group_members (
  group_id  uuid NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  host_id   uuid NOT NULL REFERENCES hosts (id),
  PRIMARY KEY (group_id, host_id)
);
CREATE INDEX host_group_members_host ON host_group_members (host_id);

-- What a rule can look at, per host: its own fields, its newest agent's, and its live asset's (every column).
CREATE VIEW host_facts AS
SELECT h.id AS host_id,
  jsonb_build_object(
    'hostname', h.hostname,
    'tags', to_jsonb(ARRAY(SELECT DISTINCT t FROM unnest(h.tags || coalesce(a.tags, '{}'::text[])) t)),
    'os', coalesce(nullif(ag.os, ''), a.os_name),
    'agent_state', ag.state,
    'type', a.type,
    'state', a.state,
    'idc', a.idc,
    'rack', a.rack,
    'owner', a.owner,
    'business_unit', a.business_unit,
    'asset', CASE WHEN a.id IS NULL THEN NULL ELSE to_jsonb(a) - 'search_text' END
  ) AS doc
FROM hosts h
LEFT JOIN assets a ON a.host_id = h.id AND a.deleted_at IS NULL
LEFT JOIN LATERAL (SELECT g.os, g.state FROM agents g WHERE g.host_id = h.id ORDER BY g.enrolled_at DESC LIMIT 1) ag ON true;

-- One rule against one host's facts. A list value (tags) matches when any element does.
CREATE FUNCTION host_rule_matches(doc jsonb, rule jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN rule->>'op' = 'exists' THEN coalesce(jsonb_typeof(doc #> string_to_array(rule->>'field', '.')) <> 'null', false)
  ELSE coalesce((
    SELECT CASE rule->>'op'
      WHEN 'eq' THEN bool_or(x = rule->>'value')
      WHEN 'neq' THEN NOT coalesce(bool_or(x = rule->>'value'), false)
      -- the guard: Postgres may evaluate this subquery even when op is not 'in'
      WHEN 'in' THEN bool_or(x IN (SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(rule->'value') = 'array' THEN rule->'value' ELSE '[]'::jsonb END)))
      WHEN 'prefix' THEN bool_or(starts_with(x, rule->>'value'))
      WHEN 'contains' THEN bool_or(strpos(lower(x), lower(rule->>'value')) > 0)
    END
    FROM (SELECT doc #> string_to_array(rule->>'field', '.') AS v) s,
      LATERAL (
        SELECT e AS x FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.v) = 'array' THEN s.v ELSE '[]'::jsonb END) e
        UNION ALL
        SELECT s.v #>> '{}' WHERE jsonb_typeof(s.v) IN ('string', 'number', 'boolean')
      ) xs
  ), rule->>'op' = 'neq') END
$$;
