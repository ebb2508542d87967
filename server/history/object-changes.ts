/**
 * The object change log (NetBox's ObjectChange): every create, update and delete of a CMDB or
 * monitoring object is one row with the object's state before and after, who did it and in which
 * request. This module alone writes `object_changes`; domain modules call `recordObjectChanges` inside
 * the transaction that made the change, so a change and its row commit or vanish together.
 */
import type { Queryable } from '../store/db.js';
import { recordsOf, type RecordOf } from '../store/rows.js';

export const OBJECT_TYPES = [
  'host',
  'host_group',
  'asset_type',
  'asset',
  'template',
  'template_item',
  'trigger',
  'notification_channel',
  'maintenance_window',
  'task_policy',
] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];
export type ObjectAction = 'create' | 'update' | 'delete';

/** Who made a change: a user, an API key, an agent or the server itself, and the request it came in. */
export interface ChangeActor {
  kind: 'user' | 'api_key' | 'agent' | 'system';
  id: string;
  requestId?: string;
}

export interface ObjectChange {
  type: ObjectType;
  id: string;
  action: ObjectAction;
  /** The object as it was (null for a create), as it is (null for a delete): JSON, secrets left out. */
  before: unknown;
  after: unknown;
}

interface ObjectChangeRow {
  id: number;
  object_type: ObjectType;
  object_id: string;
  action: ObjectAction;
  before: unknown;
  after: unknown;
  actor_kind: ChangeActor['kind'];
  actor_id: string;
  request_id: string | null;
  at: Date;
}

/** A row of the log; `before` and `after` as stored (snake_case JSON, as the API shows it). */
export type ObjectChangeRecord = RecordOf<ObjectChangeRow>;

/** A change of one object: a create when there was none before, a delete when there is none after. */
export function changeOf(type: ObjectType, id: string, before: unknown, after: unknown): ObjectChange {
  const action: ObjectAction = before == null ? 'create' : after == null ? 'delete' : 'update';
  return { type, id, action, before: before ?? null, after: after ?? null };
}

/**
 * The changes between two versions of a list of parts keyed by `key` (a template's items or
 * triggers): one for each part added, removed or changed; `idOf` names a part as an object.
 */
export function partChanges<T extends { key: string }>(
  type: ObjectType,
  idOf: (key: string) => string,
  before: readonly T[],
  after: readonly T[],
): ObjectChange[] {
  const was = new Map(before.map((p) => [p.key, p]));
  const is = new Map(after.map((p) => [p.key, p]));
  const out: ObjectChange[] = [];
  for (const [key, p] of was) if (!is.has(key)) out.push(changeOf(type, idOf(key), p, null));
  for (const [key, p] of is) {
    const old = was.get(key);
    if (!old || JSON.stringify(old) !== JSON.stringify(p)) out.push(changeOf(type, idOf(key), old, p));
  }
  return out;
}

/** Inserts the rows in one statement (an asset import records thousands); answers their ids in input order. */
export async function recordObjectChanges(q: Queryable, actor: ChangeActor, changes: readonly ObjectChange[]): Promise<number[]> {
  if (!changes.length) return [];
  const payload = changes.map((c) => ({ t: c.type, o: c.id, a: c.action, b: c.before ?? null, f: c.after ?? null }));
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO object_changes (object_type, object_id, action, before, after, actor_kind, actor_id, request_id)
     SELECT t.t, t.o, t.a, t.b, t.f, $2, $3, $4
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (t text, o text, a text, b jsonb, f jsonb)) WITH ORDINALITY AS t
     ORDER BY t.ordinality RETURNING id`,
    [JSON.stringify(payload), actor.kind, actor.id, actor.requestId ?? null],
  );
  // Identity values are handed out in insertion order, which is the ordinality order above.
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** The changes of one object type (of one object when `objectId` is given), by id, `limit + 1` rows. */
export async function listObjectChanges(
  q: Queryable,
  filter: { type: ObjectType; objectId?: string },
  page: { afterId?: number; limit: number; desc?: boolean },
): Promise<ObjectChangeRecord[]> {
  const { rows } = await q.query<ObjectChangeRow>(
    `SELECT id, object_type, object_id, action, before, after, actor_kind, actor_id, request_id, at FROM object_changes
     WHERE object_type = $1 AND ($2::text IS NULL OR object_id = $2) AND ($3::bigint IS NULL OR id ${page.desc ? '<' : '>'} $3)
     ORDER BY id ${page.desc ? 'DESC' : 'ASC'} LIMIT $4`,
    [filter.type, filter.objectId ?? null, page.afterId ?? null, page.limit + 1],
  );
  return recordsOf(rows);
}

/** The object change log as the routes read it. */
export class ObjectChangeLog {
  constructor(private readonly db: Queryable) {}

  list(filter: { type: ObjectType; objectId?: string }, page: { afterId?: number; limit: number; desc?: boolean }): Promise<ObjectChangeRecord[]> {
    return listObjectChanges(this.db, filter, page);
  }
}
