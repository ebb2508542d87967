/**
 * Which hosts a task is for: host ids, and groups and tags resolved by the CMDB (`resolveTargets`)
 * through one function, which tests may replace.
 */
import { resolveTargets, type TargetSelector } from '../cmdb/targets.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { TaskTargets } from './task-store.js';

/** Host ids of every host in the named groups/tags/selector (not the plain host ids). */
export type TargetResolver = (sel: Omit<TargetSelector, 'hostIds'> & { selector?: string }) => Promise<string[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Groups (by id) and tags through the CMDB's host groups; selectors are not supported yet. */
export const cmdbResolver =
  (db: Db): TargetResolver =>
  async (sel) => {
    if (sel.selector) throw new AppError('TARGETS_UNSUPPORTED', 'invalid', 'selectors are not supported yet; name host_ids, groups (host group ids) or tags');
    const bad = (sel.groupIds ?? []).filter((g) => !UUID.test(g));
    if (bad.length) throw new AppError('BAD_REQUEST', 'invalid', `groups are host group ids (uuid): ${bad.slice(0, 5).join(', ')}`, { field: 'groups' });
    return resolveTargets(db, { groupIds: sel.groupIds, tags: sel.tags });
  };

/** Every target as a host id, checked to exist, in a stable order. */
export async function resolveHostIds(db: Db, targets: TaskTargets, resolver: TargetResolver): Promise<string[]> {
  const fromGroups = await resolver({ groupIds: targets.groups, tags: targets.tags, selector: targets.selector });
  const ids = [...new Set([...(targets.host_ids ?? []), ...fromGroups])];
  if (!ids.length) throw new AppError('TARGETS_EMPTY', 'invalid', 'the task names no hosts');
  const { rows } = await db.query<{ id: string }>('SELECT id FROM hosts WHERE id = ANY($1::uuid[])', [ids]);
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length)
    throw new AppError('HOST_NOT_FOUND', 'invalid', `unknown host ids: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' …' : ''}`, {
      missing: missing.slice(0, 50),
    });
  return ids;
}
