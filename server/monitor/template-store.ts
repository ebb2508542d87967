/** Templates, their includes and their links to hosts and host groups, in Postgres. */
import { randomUUID } from 'node:crypto';
import { countHosts } from '../cmdb/hosts.js';
import { AppError, notFound } from '../errors.js';
import { keyOrder, keyset, text, uuid, type Page } from '../keyset.js';
import { LookupBatcher } from '../store/lookup-batcher.js';
import { changeOf, partChanges, recordObjectChanges, type ChangeActor, type ObjectChange } from '../history/object-changes.js';
import type { Db, Queryable, TxStep } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { checkTemplateContent, includeCycle, type TemplateItem, type TemplateRow, type TemplateTrigger } from './template-model.js';

/** The orders templates can be listed in (keyset pages). */
export const TEMPLATE_ORDER = keyOrder({ sorts: { name: text('t.name') }, defaultSort: 'name', id: uuid('t.id') });

/** A template as SELECT below returns it: its row, what it includes and where it is linked. */
interface TemplateSqlRow extends TemplateRow {
  description: string;
  includes: string[];
  host_ids: string[];
  host_group_ids: string[];
  created_at: Date;
  created_by: string;
  updated_at: Date;
  version: number;
}

export type TemplateRecord = RecordOf<TemplateSqlRow>;

export interface TemplateInput {
  name: string;
  description?: string;
  items: TemplateItem[];
  triggers: TemplateTrigger[];
  includes?: string[];
}

/** The host groups a host is in: the CMDB provides it once host groups exist. */
export type GroupsOfHost = (hostId: string) => Promise<string[]>;

const SELECT = `SELECT t.*,
  COALESCE((SELECT array_agg(included_id::text ORDER BY included_id) FROM monitor_template_includes WHERE template_id = t.id), '{}') AS includes,
  COALESCE((SELECT array_agg(host_id::text ORDER BY host_id) FROM monitor_template_hosts WHERE template_id = t.id), '{}') AS host_ids,
  COALESCE((SELECT array_agg(host_group_id::text ORDER BY host_group_id) FROM monitor_template_host_groups WHERE template_id = t.id), '{}') AS host_group_ids
  FROM monitor_templates t`;

export const templateNotFound = () => notFound('template', 'TEMPLATE_NOT_FOUND');

/**
 * A template's change rows: its own fields and links in one, each item and trigger in its own
 * (object id `<template id>:<key>`, as trigger refs name them). An own row only when those changed.
 */
export function templateChanges(id: string, before: TemplateRecord | null, after: TemplateRecord | null): ObjectChange[] {
  const own = (t: TemplateRecord | null) =>
    t && { id: t.id, name: t.name, description: t.description, includes: t.includes, host_ids: t.hostIds, host_group_ids: t.hostGroupIds };
  const partId = (key: string) => `${id}:${key}`;
  const changes = JSON.stringify(own(before)) === JSON.stringify(own(after)) ? [] : [changeOf('template', id, own(before), own(after))];
  return [
    ...changes,
    ...partChanges('template_item', partId, before?.items ?? [], after?.items ?? []),
    ...partChanges('trigger', partId, before?.triggers ?? [], after?.triggers ?? []),
  ];
}

type TemplateWithIncludes = TemplateRow & { includes: string[] };

/** What every host's resolution needs, read once per change (an agent connecting costs no query for it). */
interface Catalogue {
  byId: Map<string, TemplateWithIncludes>;
  /** Whether any template is linked to a host group: only then are a host's groups looked up. */
  groupLinks: boolean;
}

export class TemplateStore {
  private cache: Promise<Catalogue> | undefined;

  /** Host id -> the ids of the templates linked to it or its groups, by name: in batches, as agents connect in thousands. */
  private readonly linked = new LookupBatcher((hostIds: string[]) => this.linkedTemplates(hostIds), { maxKeys: 500, maxWaitMs: 5 });

  constructor(
    private readonly db: Db,
    private readonly groupsOfHost: GroupsOfHost = async () => [],
  ) {}

  private async linkedTemplates(hostIds: string[]): Promise<Map<string, string[]>> {
    const { groupLinks } = await this.catalogue();
    const pairs: Array<[string, string]> = [];
    if (groupLinks) {
      const groups = await Promise.all(hostIds.map((h) => this.groupsOfHost(h)));
      hostIds.forEach((h, i) => groups[i].forEach((g) => pairs.push([h, g])));
    }
    const { rows } = await this.db.query<{ host_id: string; id: string }>(
      `SELECT x.host_id::text AS host_id, t.id::text AS id FROM (
         SELECT host_id, template_id FROM monitor_template_hosts WHERE host_id = ANY($1::uuid[])
         UNION
         SELECT hg.host_id, l.template_id FROM unnest($2::uuid[], $3::uuid[]) AS hg(host_id, group_id)
           JOIN monitor_template_host_groups l ON l.host_group_id = hg.group_id
       ) x JOIN monitor_templates t ON t.id = x.template_id
       ORDER BY x.host_id, t.name`,
      [hostIds, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    const out = new Map<string, string[]>(hostIds.map((h) => [h, []]));
    for (const r of rows) out.get(r.host_id)?.push(r.id);
    return out;
  }

  /** Templates changed (here or on another node): read them again on the next resolution. */
  invalidate(): void {
    this.cache = undefined;
  }

  private catalogue(): Promise<Catalogue> {
    const load = (this.cache ??= this.db
      .query<TemplateWithIncludes & { group_links: boolean }>(
        `SELECT t.id::text AS id, t.name, t.items, t.triggers,
           COALESCE((SELECT array_agg(included_id::text ORDER BY included_id) FROM monitor_template_includes WHERE template_id = t.id), '{}') AS includes,
           EXISTS (SELECT 1 FROM monitor_template_host_groups) AS group_links
         FROM monitor_templates t`,
      )
      .then((r) => ({ byId: new Map(r.rows.map(({ group_links: _, ...t }) => [t.id, t])), groupLinks: r.rows.some((t) => t.group_links) })));
    // A failed read is not kept: the next call tries again.
    load.catch(() => {
      if (this.cache === load) this.cache = undefined;
    });
    return load;
  }

  /** One page of templates (keyset on `page`, one row more than its limit). */
  async list(page: Page): Promise<TemplateRecord[]> {
    const params: unknown[] = [];
    const ks = keyset(page, params);
    return recordsOf((await this.db.query<TemplateSqlRow>(`${SELECT} WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`, params)).rows);
  }

  /** `lock`: held until the caller's transaction ends (a change reads what it replaces). */
  async get(id: string, q: Queryable = this.db, lock = false): Promise<TemplateRecord> {
    const r = await q.query<TemplateSqlRow>(`${SELECT} WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`, [id]);
    if (!r.rows[0]) throw templateNotFound();
    return recordOf(r.rows[0]);
  }

  /** `step`: the caller's part of the same transaction (server/store/db.ts), given the new template. */
  async create(input: TemplateInput, createdBy: string, actor: ChangeActor, step?: TxStep<TemplateRecord>): Promise<TemplateRecord> {
    checkTemplateContent(input.items, input.triggers);
    const id = randomUUID();
    return this.db.tx(async (q) => {
      await q
        .query(
          `INSERT INTO monitor_templates (id, name, description, items, triggers, created_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO NOTHING`,
          [id, input.name, input.description ?? '', JSON.stringify(input.items), JSON.stringify(input.triggers), createdBy],
        )
        .then((r) => {
          if (!r.rowCount) throw new AppError('TEMPLATE_NAME_TAKEN', 'conflict', `a template named ${input.name} exists`, { field: 'body.name' });
        });
      await this.setIncludes(q, id, input.includes ?? []);
      const t = await this.get(id, q);
      await recordObjectChanges(q, actor, templateChanges(id, null, t));
      await step?.(q, t);
      return t;
    });
  }

  async update(id: string, version: number, input: TemplateInput, actor: ChangeActor, step?: TxStep<TemplateRecord>): Promise<TemplateRecord> {
    checkTemplateContent(input.items, input.triggers);
    return this.db.tx(async (q) => {
      const before = await this.get(id, q, true);
      const r = await q
        .query(
          `UPDATE monitor_templates SET name = $3, description = $4, items = $5, triggers = $6, updated_at = now(), version = version + 1
         WHERE id = $1 AND version = $2`,
          [id, version, input.name, input.description ?? '', JSON.stringify(input.items), JSON.stringify(input.triggers)],
        )
        .catch((err) => {
          if (err?.code === '23505') throw new AppError('TEMPLATE_NAME_TAKEN', 'conflict', `a template named ${input.name} exists`, { field: 'body.name' });
          throw err;
        });
      if (!r.rowCount) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the template changed since you read it');
      await q.query('DELETE FROM monitor_template_includes WHERE template_id = $1', [id]);
      await this.setIncludes(q, id, input.includes ?? []);
      const after = await this.get(id, q);
      await recordObjectChanges(q, actor, templateChanges(id, before, after));
      await step?.(q, after);
      return after;
    });
  }

  /** `step` is given the template as it was. */
  async remove(id: string, actor: ChangeActor, step?: TxStep<TemplateRecord>): Promise<void> {
    await this.db.tx(async (q) => {
      const before = await this.get(id, q, true);
      try {
        await q.query('DELETE FROM monitor_templates WHERE id = $1', [id]);
      } catch (err: any) {
        // 23001 restrict_violation (ON DELETE RESTRICT), 23503 foreign_key_violation
        if (err?.code === '23001' || err?.code === '23503')
          throw new AppError('TEMPLATE_INCLUDED', 'conflict', 'another template includes this one; remove the include first');
        throw err;
      }
      await recordObjectChanges(q, actor, templateChanges(id, before, null));
      await step?.(q, before);
    });
  }

  private async setIncludes(q: Queryable, id: string, includes: string[]): Promise<void> {
    if (!includes.length) return;
    const found = await q.query<{ id: string }>('SELECT id::text AS id FROM monitor_templates WHERE id = ANY($1::uuid[])', [includes]);
    const missing = includes.filter((i) => !found.rows.some((r) => r.id === i));
    if (missing.length) throw new AppError('TEMPLATE_NOT_FOUND', 'invalid', `included template ${missing[0]} does not exist`, { field: 'body.includes' });
    const edges = new Map<string, string[]>();
    for (const e of (await q.query<{ a: string; b: string }>('SELECT template_id::text AS a, included_id::text AS b FROM monitor_template_includes')).rows) {
      edges.set(e.a, [...(edges.get(e.a) ?? []), e.b]);
    }
    if (includeCycle(edges, id, includes))
      throw new AppError('TEMPLATE_INCLUDE_CYCLE', 'invalid', 'these includes would make a template include itself', { field: 'body.includes' });
    for (const inc of includes) await q.query('INSERT INTO monitor_template_includes (template_id, included_id) VALUES ($1, $2)', [id, inc]);
  }

  async linkHost(templateId: string, hostId: string, actor: ChangeActor): Promise<void> {
    await this.changeLinks(templateId, actor, async (q, template) => {
      if (!template) throw templateNotFound();
      if (!(await countHosts(q, [hostId]))) throw notFound('host', 'HOST_NOT_FOUND');
      await q.query('INSERT INTO monitor_template_hosts (template_id, host_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [templateId, hostId]);
    });
  }

  async unlinkHost(templateId: string, hostId: string, actor: ChangeActor): Promise<void> {
    await this.changeLinks(templateId, actor, async (q) => {
      const r = await q.query('DELETE FROM monitor_template_hosts WHERE template_id = $1 AND host_id = $2', [templateId, hostId]);
      if (!r.rowCount) throw notFound('template link', 'TEMPLATE_LINK_NOT_FOUND');
    });
  }

  async linkGroup(templateId: string, groupId: string, actor: ChangeActor): Promise<void> {
    await this.changeLinks(templateId, actor, async (q, template) => {
      if (!template) throw templateNotFound();
      await q.query('INSERT INTO monitor_template_host_groups (template_id, host_group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [templateId, groupId]);
    });
  }

  async unlinkGroup(templateId: string, groupId: string, actor: ChangeActor): Promise<void> {
    await this.changeLinks(templateId, actor, async (q) => {
      const r = await q.query('DELETE FROM monitor_template_host_groups WHERE template_id = $1 AND host_group_id = $2', [templateId, groupId]);
      if (!r.rowCount) throw notFound('template link', 'TEMPLATE_LINK_NOT_FOUND');
    });
  }

  /** A link added or removed is a change of its template (a link already there changes nothing). */
  private async changeLinks(
    templateId: string,
    actor: ChangeActor,
    change: (q: Queryable, template: TemplateRecord | undefined) => Promise<void>,
  ): Promise<void> {
    await this.db.tx(async (q) => {
      const row = (await q.query<TemplateSqlRow>(`${SELECT} WHERE t.id = $1 FOR UPDATE OF t`, [templateId])).rows[0];
      const before = row && recordOf(row);
      await change(q, before);
      await recordObjectChanges(q, actor, templateChanges(templateId, before ?? null, await this.get(templateId, q)));
    });
  }

  /**
   * The templates a host gets: linked to it or to one of its groups, then everything they include,
   * in a stable order (direct links first, by name; includes after the template including them).
   */
  async forHost(hostId: string): Promise<TemplateRow[]> {
    const { byId } = await this.catalogue();
    if (!byId.size) return [];
    const direct = (await this.linked.get(hostId)) ?? [];
    if (!direct.length) return [];
    const out: TemplateRow[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      const t = byId.get(id);
      if (!t || seen.has(id)) return;
      seen.add(id);
      out.push({ id: t.id, name: t.name, items: t.items, triggers: t.triggers });
      for (const inc of t.includes) visit(inc);
    };
    for (const id of direct) visit(id);
    return out;
  }

  /**
   * Hosts whose configuration a change of these templates may touch: linked to them or to a
   * template including them. `groups` is true when a host group link is involved (its members
   * are the CMDB's to know, so callers then refresh every agent).
   */
  async affectedHosts(templateIds: string[]): Promise<{ hostIds: string[]; groups: boolean }> {
    const r = await this.db.query<{ host_id: string | null; groups: boolean }>(
      `WITH RECURSIVE up(id) AS (
         SELECT unnest($1::uuid[])
         UNION SELECT i.template_id FROM monitor_template_includes i JOIN up ON i.included_id = up.id)
       SELECT DISTINCT h.host_id::text AS host_id,
         EXISTS (SELECT 1 FROM monitor_template_host_groups g WHERE g.template_id IN (SELECT id FROM up)) AS groups
       FROM (SELECT NULL::uuid AS host_id UNION ALL SELECT host_id FROM monitor_template_hosts WHERE template_id IN (SELECT id FROM up)) h`,
      [templateIds],
    );
    return { hostIds: r.rows.map((x) => x.host_id).filter((x): x is string => !!x), groups: r.rows.some((x) => x.groups) };
  }
}
