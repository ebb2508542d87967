/**
 * Hosts (machines an agent runs on, or added by hand) with their tags, newest agent and linked asset;
 * host groups with static members and dynamic rules (host-rules.ts, resolved by targets.ts).
 */
import { randomUUID } from 'node:crypto';
import { AppError, staleVersion } from '../errors.js';
import { keyOrder, keyset, text, uuid, type Page } from '../keyset.js';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { normalTags } from './asset-fields.js';
import { checkRules, type HostRule } from './host-rules.js';
import { resolveTargets } from './targets.js';

/** The orders hosts can be listed in (keyset pages). */
export const HOST_ORDER = keyOrder({ sorts: { hostname: text('h.hostname') }, defaultSort: 'hostname', id: uuid('h.id') });

/** The orders host groups can be listed in (keyset pages). */
export const HOST_GROUP_ORDER = keyOrder({ sorts: { name: text('g.name') }, defaultSort: 'name', id: uuid('g.id') });

/** A host as HOST_SELECT reads it: its own columns, its newest agent's and its linked asset's. */
interface HostRow {
  id: string;
  hostname: string;
  tags: string[];
  description: string;
  os: string | null;
  agent_id: string | null;
  agent_state: string | null;
  agent_version: string | null;
  last_seen_at: Date | null;
  asset_id: string | null;
  asset_tag: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}
export type HostRecord = RecordOf<HostRow>;

const HOST_SELECT = `SELECT h.id, h.hostname, h.tags, h.description, nullif(ag.os, '') AS os, ag.id AS agent_id, ag.state AS agent_state, nullif(ag.agent_version, '') AS agent_version, ag.last_seen_at,
    a.id AS asset_id, a.tag AS asset_tag, h.created_at, h.updated_at, h.version
  FROM hosts h
  LEFT JOIN LATERAL (SELECT g.id, g.os, g.state, g.agent_version, g.last_seen_at FROM agents g WHERE g.host_id = h.id ORDER BY g.enrolled_at DESC LIMIT 1) ag ON true
  LEFT JOIN assets a ON a.host_id = h.id AND a.deleted_at IS NULL`;

export const hostNotFound = () => new AppError('HOST_NOT_FOUND', 'not_found', 'host not found');
export const groupNotFound = () => new AppError('HOST_GROUP_NOT_FOUND', 'not_found', 'host group not found');

/** What a host's change rows hold (stored, snake_case like the API): its own fields, not its agent's or asset's. */
const hostSnapshot = (h: HostRecord) => ({ id: h.id, hostname: h.hostname, tags: h.tags, description: h.description });
const groupSnapshot = (g: HostGroupRecord) => ({ id: g.id, name: g.name, description: g.description, rules: g.rules, host_ids: g.hostIds });

/** How many distinct hosts of these ids exist (other modules check the hosts they are given). */
export async function countHosts(q: Queryable, ids: readonly string[]): Promise<number> {
  return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM hosts WHERE id = ANY($1::uuid[])', [ids])).rows[0].n;
}

export async function hostGroupExists(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM host_groups WHERE id = $1', [id])).rows.length > 0;
}

/** The host an enrolling agent brings, in the enrollment's transaction. */
export async function addAgentHost(q: Queryable, id: string, hostname: string, actor: ChangeActor): Promise<void> {
  await q.query('INSERT INTO hosts (id, hostname) VALUES ($1, $2)', [id, hostname]);
  await recordObjectChanges(q, actor, [changeOf('host', id, null, { id, hostname, tags: [], description: '' })]);
}

export interface HostFilters {
  tag?: string[];
  os?: string;
  q?: string;
  groupId?: string;
}

export class HostDirectory {
  constructor(private readonly db: Db) {}

  async list(page: Page, f: HostFilters): Promise<HostRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.tag?.length) {
      params.push(normalTags(f.tag));
      where.push(`h.tags @> $${params.length}::text[]`);
    }
    if (f.os) {
      params.push(f.os);
      where.push(`ag.os = $${params.length}`);
    }
    if (f.q) {
      params.push(`%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`lower(h.hostname) LIKE $${params.length}`);
    }
    if (f.groupId) {
      params.push(await resolveTargets(this.db, { groupIds: [f.groupId] }));
      where.push(`h.id = ANY($${params.length}::uuid[])`);
    }
    const ks = keyset(page, params);
    const sql = `${HOST_SELECT} WHERE ${[...where, ks.where].join(' AND ')} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`;
    return recordsOf((await this.db.query<HostRow>(sql, params)).rows);
  }

  async get(id: string, q: Queryable = this.db): Promise<HostRecord> {
    const { rows } = await q.query<HostRow>(`${HOST_SELECT} WHERE h.id = $1`, [id]);
    if (!rows[0]) throw hostNotFound();
    return recordOf(rows[0]);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM hosts WHERE id = $1', [id])).rows.length > 0;
  }

  /** Hostname to id, for these hostnames; where two hosts share one, the older. */
  async idsByHostname(hostnames: string[]): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ id: string; hostname: string }>(
      'SELECT DISTINCT ON (hostname) id::text AS id, hostname FROM hosts WHERE hostname = ANY($1) ORDER BY hostname, created_at',
      [hostnames],
    );
    return new Map(rows.map((h) => [h.hostname, h.id]));
  }

  /** Id to hostname, for the hosts of these ids that exist. */
  async hostnames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const { rows } = await this.db.query<{ id: string; hostname: string }>('SELECT id, hostname FROM hosts WHERE id = ANY($1)', [ids]);
    return new Map(rows.map((h) => [h.id, h.hostname]));
  }

  /** A host added by hand (a machine without an agent, e.g. a switch monitored over SNMP). */
  async create(input: { hostname: string; tags?: string[]; description?: string }, actor: ChangeActor): Promise<HostRecord> {
    const id = randomUUID();
    return this.db.tx(async (q) => {
      await q.query('INSERT INTO hosts (id, hostname, tags, description) VALUES ($1, $2, $3::text[], $4)', [
        id,
        input.hostname,
        normalTags(input.tags ?? []),
        input.description ?? '',
      ]);
      const h = await this.get(id, q);
      await recordObjectChanges(q, actor, [changeOf('host', id, null, hostSnapshot(h))]);
      return h;
    });
  }

  async update(id: string, expected: number, patch: { hostname?: string; tags?: string[]; description?: string }, actor: ChangeActor): Promise<HostRecord> {
    return this.db.tx(async (q) => {
      // Locked first, so `before` is the version the update replaces.
      await q.query('SELECT 1 FROM hosts WHERE id = $1 FOR UPDATE', [id]);
      const before = await this.get(id, q);
      const { rowCount } = await q.query(
        `UPDATE hosts SET hostname = coalesce($3, hostname), tags = coalesce($4::text[], tags), description = coalesce($5, description),
           updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`,
        [id, expected, patch.hostname ?? null, patch.tags ? normalTags(patch.tags) : null, patch.description ?? null],
      );
      if (!rowCount) throw staleVersion(before.version);
      const h = await this.get(id, q);
      await recordObjectChanges(q, actor, [changeOf('host', id, hostSnapshot(before), hostSnapshot(h))]);
      return h;
    });
  }
}

interface HostGroupRow {
  id: string;
  name: string;
  description: string;
  rules: HostRule[];
  host_ids: string[];
  created_at: Date;
  updated_at: Date;
  version: number;
}
export type HostGroupRecord = RecordOf<HostGroupRow>;

const GROUP_SELECT = `SELECT g.id, g.name, g.description, g.rules, g.created_at, g.updated_at, g.version,
  ARRAY(SELECT m.host_id FROM host_group_members m WHERE m.group_id = g.id ORDER BY m.host_id) AS host_ids FROM host_groups g`;

export class HostGroups {
  constructor(private readonly db: Db) {}

  async list(page: Page): Promise<HostGroupRecord[]> {
    const params: unknown[] = [];
    const ks = keyset(page, params);
    return recordsOf((await this.db.query<HostGroupRow>(`${GROUP_SELECT} WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`, params)).rows);
  }

  async get(id: string, q: Queryable = this.db): Promise<HostGroupRecord> {
    const { rows } = await q.query<HostGroupRow>(`${GROUP_SELECT} WHERE g.id = $1`, [id]);
    if (!rows[0]) throw groupNotFound();
    return recordOf(rows[0]);
  }

  async create(input: { name: string; description?: string; rules?: HostRule[]; hostIds?: string[] }, actor: ChangeActor): Promise<HostGroupRecord> {
    const rules = checkRules(input.rules ?? []);
    return this.db.tx(async (q) => {
      const id = randomUUID();
      const { rows } = await q.query(
        'INSERT INTO host_groups (id, name, description, rules) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (name) DO NOTHING RETURNING id',
        [id, input.name, input.description ?? '', JSON.stringify(rules)],
      );
      if (!rows[0]) throw new AppError('HOST_GROUP_EXISTS', 'conflict', `a host group named "${input.name}" exists already`, { field: 'body.name' });
      await this.setMembers(q, id, input.hostIds ?? []);
      const g = await this.get(id, q);
      await recordObjectChanges(q, actor, [changeOf('host_group', id, null, groupSnapshot(g))]);
      return g;
    });
  }

  /** hostIds, when given, replaces the static members. */
  async update(
    id: string,
    expected: number,
    patch: { name?: string; description?: string; rules?: HostRule[]; hostIds?: string[] },
    actor: ChangeActor,
  ): Promise<HostGroupRecord> {
    const rules = patch.rules ? checkRules(patch.rules) : null;
    return this.db.tx(async (q) => {
      await q.query('SELECT 1 FROM host_groups WHERE id = $1 FOR UPDATE', [id]);
      const before = await this.get(id, q);
      const { rowCount } = await q
        .query(
          `UPDATE host_groups SET name = coalesce($3, name), description = coalesce($4, description), rules = coalesce($5::jsonb, rules),
           updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`,
          [id, expected, patch.name ?? null, patch.description ?? null, rules ? JSON.stringify(rules) : null],
        )
        .catch((err) => {
          if (err?.code === '23505')
            throw new AppError('HOST_GROUP_EXISTS', 'conflict', `a host group named "${patch.name}" exists already`, { field: 'body.name' });
          throw err;
        });
      if (!rowCount) throw staleVersion(before.version);
      if (patch.hostIds) await this.setMembers(q, id, patch.hostIds);
      const g = await this.get(id, q);
      await recordObjectChanges(q, actor, [changeOf('host_group', id, groupSnapshot(before), groupSnapshot(g))]);
      return g;
    });
  }

  async delete(id: string, expected: number, actor: ChangeActor): Promise<HostGroupRecord> {
    return this.db.tx(async (q) => {
      await q.query('SELECT 1 FROM host_groups WHERE id = $1 FOR UPDATE', [id]);
      const g = await this.get(id, q);
      if (g.version !== expected) throw staleVersion(g.version);
      await q.query('DELETE FROM host_groups WHERE id = $1', [id]);
      await recordObjectChanges(q, actor, [changeOf('host_group', id, groupSnapshot(g), null)]);
      return g;
    });
  }

  private async setMembers(q: Queryable, id: string, hostIds: string[]): Promise<void> {
    await q.query('DELETE FROM host_group_members WHERE group_id = $1', [id]);
    if (!hostIds.length) return;
    const unique = [...new Set(hostIds)];
    const { rows } = await q.query<{ id: string }>('SELECT id FROM hosts WHERE id = ANY($1::uuid[])', [unique]);
    if (rows.length !== unique.length) {
      const known = new Set(rows.map((r) => r.id));
      throw new AppError('VALIDATION_FAILED', 'invalid', `body.host_ids names hosts that do not exist: ${unique.filter((h) => !known.has(h)).join(', ')}`, {
        field: 'body.host_ids',
      });
    }
    await q.query('INSERT INTO host_group_members (group_id, host_id) SELECT $1, unnest($2::uuid[])', [id, unique]);
  }
}
