/**
 * The host groups a host is in, as the CMDB defines them (schema 031): static members, and groups
 * whose dynamic rules all match the host's facts. Templates linked to those groups apply to the host,
 * and maintenance windows on them silence it.
 */
import type { Queryable } from '../store/db.js';

export async function groupsOfHost(db: Queryable, hostId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT g.id::text AS id FROM host_groups g
     WHERE EXISTS (SELECT 1 FROM host_group_members m WHERE m.group_id = g.id AND m.host_id = $1)
        OR (jsonb_array_length(g.rules) > 0 AND EXISTS (
              SELECT 1 FROM host_facts f WHERE f.host_id = $1
                AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(g.rules) r WHERE NOT host_rule_matches(f.doc, r))))
     ORDER BY g.id`,
    [hostId],
  );
  return rows.map((r) => r.id);
}
