/**
 * Which hosts a task is for. Host ids work now; groups, tags and selectors are the CMDB's to
 * resolve, so they go through one function the CMDB can supply (`resolveTargets`). Until it does,
 * a task naming them is refused with a clear error rather than run on a guess.
 */
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';

export interface TargetSelector {
  host_ids?: string[];
  groups?: string[];
  tags?: string[];
  selector?: string;
}

/** Host ids of every host in the named groups/tags/selector (not the plain host ids). */
export type TargetResolver = (sel: Omit<TargetSelector, 'host_ids'>) => Promise<string[]>;

export const noGroupResolver: TargetResolver = async (sel) => {
  if (sel.groups?.length || sel.tags?.length || sel.selector) {
    throw new AppError('TARGETS_UNSUPPORTED', 400, 'groups, tags and selectors need the CMDB target resolver, which this server does not have yet; name host_ids');
  }
  return [];
};

/** Every target as a host id, checked to exist, in a stable order. */
export async function resolveHostIds(db: Db, sel: TargetSelector, resolver: TargetResolver): Promise<string[]> {
  const fromGroups = await resolver({ groups: sel.groups, tags: sel.tags, selector: sel.selector });
  const ids = [...new Set([...(sel.host_ids ?? []), ...fromGroups])];
  if (!ids.length) throw new AppError('TARGETS_EMPTY', 400, 'the task names no hosts');
  const { rows } = await db.query<{ id: string }>('SELECT id FROM hosts WHERE id = ANY($1::uuid[])', [ids]);
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) throw new AppError('HOST_NOT_FOUND', 400, `unknown host ids: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' …' : ''}`, { missing: missing.slice(0, 50) });
  return ids;
}
