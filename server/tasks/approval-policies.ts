/**
 * Change control policies: "tasks on these hosts, groups or tags need a second operator". A task
 * is held when any of its hosts falls under any policy. A policy with `template_plugin_items` also
 * holds template changes that add or change plugin items (server/monitor/template-changes.ts).
 */
import { randomUUID } from 'node:crypto';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { resolveHostIds, type TargetResolver } from './targets.js';
import type { TaskTargets } from './task-store.js';

interface ApprovalPolicyRow {
  id: string;
  name: string;
  host_ids: string[];
  groups: string[];
  tags: string[];
  template_plugin_items: boolean;
  /**
   * Actions that need an approved change request (server/itil/changes.ts): on these hosts 'task'
   * (any task, agent upgrades and release steps included), 'agent_upgrade', 'release' (rollouts);
   * anywhere, any 'template' or 'asset' edit.
   */
  require_change: ('task' | 'template' | 'asset' | 'release' | 'agent_upgrade')[];
  created_by: string;
  created_at: Date;
}
export type ApprovalPolicy = RecordOf<ApprovalPolicyRow>;

/** A policy as the object change log keeps it: stored history, in the snake_case it has always been written in. */
const snapshot = (p: ApprovalPolicy) => ({
  id: p.id,
  name: p.name,
  host_ids: p.hostIds,
  groups: p.groups,
  tags: p.tags,
  created_by: p.createdBy,
  created_at: p.createdAt,
  template_plugin_items: p.templatePluginItems,
  require_change: p.requireChange,
});

export async function listPolicies(db: Db): Promise<ApprovalPolicy[]> {
  const { rows } = await db.query<ApprovalPolicyRow>('SELECT * FROM task_approval_policies ORDER BY created_at, id');
  return recordsOf(rows);
}

export async function createPolicy(
  db: Db,
  p: {
    name: string;
    hostIds?: string[];
    groups?: string[];
    tags?: string[];
    templatePluginItems?: boolean;
    requireChange?: ApprovalPolicy['requireChange'];
  },
  by: string,
  actor: ChangeActor,
): Promise<ApprovalPolicy> {
  return db.tx(async (q) => {
    const { rows } = await q.query<ApprovalPolicyRow>(
      'INSERT INTO task_approval_policies (id, name, host_ids, groups, tags, template_plugin_items, require_change, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *',
      [randomUUID(), p.name, p.hostIds ?? [], p.groups ?? [], p.tags ?? [], p.templatePluginItems ?? false, p.requireChange ?? [], by],
    );
    const policy = recordOf(rows[0]);
    await recordObjectChanges(q, actor, [changeOf('task_policy', policy.id, null, snapshot(policy))]);
    return policy;
  });
}

export async function deletePolicy(db: Db, id: string, actor: ChangeActor): Promise<boolean> {
  return db.tx(async (q) => {
    const { rows } = await q.query<ApprovalPolicyRow>('DELETE FROM task_approval_policies WHERE id = $1 RETURNING *', [id]);
    if (rows[0]) await recordObjectChanges(q, actor, [changeOf('task_policy', id, snapshot(recordOf(rows[0])), null)]);
    return rows.length > 0;
  });
}

/** Names of the policies asking for an approved change for this action (tasks: those covering any of its hosts, as given). */
export async function changeRequiredBy(q: Queryable, kind: 'task' | 'template' | 'asset', policyIds?: string[]): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>(
    `SELECT name FROM task_approval_policies WHERE $1 = ANY(require_change) AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) ORDER BY name`,
    [kind, policyIds ?? null],
  );
  return rows.map((r) => r.name);
}

/** The policies that cover any of these hosts. */
export async function matchingPolicies(db: Db, hostIds: string[], resolve: TargetResolver): Promise<ApprovalPolicy[]> {
  const targets = new Set(hostIds);
  const out: ApprovalPolicy[] = [];
  for (const p of await listPolicies(db)) {
    let covered = p.hostIds.filter((h) => targets.has(h));
    if (!covered.length && (p.groups.length || p.tags.length)) covered = (await resolve({ groupIds: p.groups, tags: p.tags })).filter((h) => targets.has(h));
    if (covered.length) out.push(p);
  }
  return out;
}

/** Host-scoped actions a policy may require an approved change for. */
export type HostAction = 'task' | 'agent_upgrade' | 'release';

/** Does this policy (covering the hosts) require an approved change for this action? 'task' covers every task, whatever it is part of. */
export const requiresChange = (p: Pick<ApprovalPolicy, 'requireChange'>, action: HostAction): boolean =>
  p.requireChange.includes('task') || p.requireChange.includes(action);

/** The policies as a service for the routes: listed, made (their targets checked the way tasks' are) and removed. */
export class ApprovalPolicies {
  constructor(
    private readonly db: Db,
    private readonly resolveTargets: TargetResolver,
  ) {}

  list(): Promise<ApprovalPolicy[]> {
    return listPolicies(this.db);
  }

  /** Unknown hosts and unresolvable groups are refused now, not when a task meets the policy. */
  async checkTargets(targets: TaskTargets): Promise<void> {
    await resolveHostIds(this.db, targets, this.resolveTargets);
  }

  create(p: Parameters<typeof createPolicy>[1], by: string, actor: ChangeActor): Promise<ApprovalPolicy> {
    return createPolicy(this.db, p, by, actor);
  }

  delete(id: string, actor: ChangeActor): Promise<boolean> {
    return deletePolicy(this.db, id, actor);
  }
}
