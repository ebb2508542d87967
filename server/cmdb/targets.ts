/**
 * What monitoring templates and batch tasks aim at: hosts named directly, host groups (static members
 * and dynamic rules) and tags, resolved to host ids in one SQL query. The rules are evaluated by the
 * database (host_rule_matches in schema/031_cmdb_hosts.sql) over each host's facts (host_facts view).
 */
import type { Queryable } from '../store/db.js';
import { checkRules, type HostRule } from './host-rules.js';

export interface TargetSelector {
  /** these hosts */
  hostIds?: readonly string[];
  /** the members of these groups: static ones and those their rules match */
  groupIds?: readonly string[];
  /** hosts carrying any of these tags (on the host or on its asset) */
  tags?: readonly string[];
}

/** The union of everything the selector names, each host once, sorted by id. An empty selector is no hosts. */
export async function resolveTargets(db: Queryable, sel: TargetSelector): Promise<string[]> {
  const hostIds = [...(sel.hostIds ?? [])];
  const groupIds = [...(sel.groupIds ?? [])];
  const tags = [...(sel.tags ?? [])];
  if (!hostIds.length && !groupIds.length && !tags.length) return [];
  const { rows } = await db.query<{ host_id: string }>(
    `SELECT f.host_id FROM host_facts f
     WHERE f.host_id = ANY($1::uuid[])
       OR (f.doc->'tags') ?| $3::text[]
       OR EXISTS (SELECT 1 FROM host_group_members m WHERE m.host_id = f.host_id AND m.group_id = ANY($2::uuid[]))
       OR EXISTS (SELECT 1 FROM host_groups g WHERE g.id = ANY($2::uuid[]) AND jsonb_array_length(g.rules) > 0
                  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(g.rules) r WHERE NOT host_rule_matches(f.doc, r)))
     ORDER BY f.host_id`,
    [hostIds, groupIds, tags],
  );
  return rows.map((r) => r.host_id);
}

/**
 * The reverse: the groups each host is in (a static member, or every rule holds), sorted; one query for
 * all of them (a connection storm asks for thousands of hosts at once). Monitoring picks templates by it.
 */
export async function groupsOfHosts(db: Queryable, hostIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(hostIds.map((id) => [id, []]));
  if (!hostIds.length) return out;
  const { rows } = await db.query<{ host_id: string; id: string }>(
    `SELECT f.host_id::text AS host_id, g.id::text AS id FROM host_facts f JOIN host_groups g
       ON EXISTS (SELECT 1 FROM host_group_members m WHERE m.group_id = g.id AND m.host_id = f.host_id)
       OR (jsonb_array_length(g.rules) > 0 AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(g.rules) r WHERE NOT host_rule_matches(f.doc, r)))
     WHERE f.host_id = ANY($1::uuid[])
     ORDER BY f.host_id, g.id`,
    [[...hostIds]],
  );
  for (const r of rows) out.get(r.host_id)?.push(r.id);
  return out;
}

export async function groupsOfHost(db: Queryable, hostId: string): Promise<string[]> {
  return (await groupsOfHosts(db, [hostId])).get(hostId) ?? [];
}

/**
 * Who a group with these rules and static members would hold, before it is saved: the count and the
 * first `limit` by hostname. The same SQL rule evaluation as a saved group's, so the preview cannot differ.
 */
export async function previewGroup(
  db: Queryable,
  rules: readonly HostRule[],
  hostIds: readonly string[],
  limit = 20,
): Promise<{ total: number; hosts: Array<{ id: string; hostname: string }> }> {
  const checked = checkRules(rules);
  const { rows } = await db.query<{ id: string; hostname: string; total: number }>(
    `WITH m AS (
       SELECT f.host_id FROM host_facts f
        WHERE f.host_id = ANY($2::uuid[])
           OR (jsonb_array_length($1::jsonb) > 0
               AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements($1::jsonb) r WHERE NOT host_rule_matches(f.doc, r))))
     SELECT h.id, h.hostname, (SELECT count(*)::int FROM m) AS total
       FROM m JOIN hosts h ON h.id = m.host_id ORDER BY h.hostname, h.id LIMIT $3`,
    [JSON.stringify(checked), [...hostIds], limit],
  );
  return { total: rows[0]?.total ?? 0, hosts: rows.map((r) => ({ id: r.id, hostname: r.hostname })) };
}
