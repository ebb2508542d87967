/** Tasks, their hosts and change requests in Postgres: the whole queue lives here, so a restart loses nothing. */
import { keyOrder, keyset, timestamp, uuid, type Page } from '../keyset.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import type { HostRunState } from './rollout.js';

export type TaskState = 'awaiting_approval' | 'running' | 'done' | 'stopped' | 'cancelled' | 'rejected';

/**
 * A task's targets as the API takes them and the spec stores them (snake_case, like the rest of the
 * stored spec); resolved through the CMDB's TargetSelector (resolveHostIds).
 */
export interface TaskTargets {
  host_ids?: string[];
  /** host group ids */
  groups?: string[];
  tags?: string[];
  selector?: string;
}

export interface TaskSpec {
  action:
    | { kind: 'shell'; command: string }
    | { kind: 'argv'; argv: string[] }
    | { kind: 'script'; script: string; interpreter: string }
    | { kind: 'file'; sha256: string; size: number; path: string; mode: number; owner?: string; group?: string; create_dirs?: boolean }
    /** The API takes only the kind; the server fills in the bundle it serves when the task is made. */
    | { kind: 'agent-upgrade'; version: string; sha256: string; size: number };
  timeout_s: number;
  run_as?: string;
  cwd?: string;
  env?: Record<string, string>;
  output_cap_bytes: number;
  targets: TaskTargets;
  batch_size?: number | string;
  failure_threshold?: number | string;
}

interface TaskRow {
  id: string;
  name: string;
  kind: TaskSpec['action']['kind'];
  spec: TaskSpec;
  summary: string;
  state: TaskState;
  requested_by: string;
  created_at: Date;
  expires_at: Date;
  finished_at: Date | null;
  batch_size: number;
  max_concurrency: number;
  failure_limit: number | null;
  current_wave: number;
  stop_reason: string | null;
  file_sha256: string | null;
}
export type TaskRecord = RecordOf<TaskRow>;

interface TaskHostRow {
  task_id: string;
  host_id: string;
  agent_id: string | null;
  hostname: string;
  wave: number;
  state: HostRunState;
  nonce: string | null;
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdout_cut: boolean;
  stderr_cut: boolean;
  duration_ms: number | null;
  message: string | null;
  sent_at: Date | null;
  finished_at: Date | null;
}
export type TaskHostRecord = RecordOf<TaskHostRow>;

export interface HostResult {
  state: HostRunState;
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  stdoutCut: boolean;
  stderrCut: boolean;
  durationMs: number | null;
  message?: string;
}

interface ChangeRequestRow {
  id: string;
  task_id: string;
  requested_by: string;
  /** The person who asked (auth/person.ts); null for requests older than the column whose requester was not a user. */
  requester: string | null;
  reason: string;
  risk: 'low' | 'medium' | 'high';
  policy_ids: string[];
  state: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  created_at: Date;
}
export type ChangeRequestRecord = RecordOf<ChangeRequestRow>;

/** What planning needs of a host of a task; `active` says its agent is approved. */
interface PlanRow {
  host_id: string;
  agent_id: string | null;
  wave: number;
  state: HostRunState;
  active: boolean;
}

const ACTIVE: HostRunState[] = ['queued', 'sent', 'running'];

/** The host id each (task, agent) item got back from a batched UPDATE ... RETURNING (each at most once). */
function answerEach(
  items: Array<{ taskId: string; agentId: string }>,
  rows: Array<{ task_id: string; agent_id: string; host_id: string }>,
): Array<string | undefined> {
  const byKey = new Map(rows.map((r) => [`${r.task_id}:${r.agent_id}`, r.host_id]));
  return items.map((i) => {
    const key = `${i.taskId}:${i.agentId}`;
    const host = byKey.get(key);
    byKey.delete(key);
    return host;
  });
}

/** The orders tasks can be listed in (keyset pages). */
export const TASK_ORDER = keyOrder({ sorts: { created_at: timestamp('t.created_at') }, defaultSort: '-created_at', id: uuid('t.id') });

export interface TaskFilter {
  /** Text in the command, script or path, or in any host's output. */
  q?: string;
  state?: string;
  requestedBy?: string;
  hostId?: string;
}

export class TaskStore {
  constructor(private readonly db: Db) {}

  /** A keyset page of tasks, the extra row included (see keyset.ts). */
  async list(page: Page, filter: TaskFilter): Promise<TaskRecord[]> {
    const like = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => '\\' + c)}%` : null;
    const params: unknown[] = [filter.state ?? null, filter.requestedBy ?? null, like, filter.hostId ?? null];
    const where = `($1::text IS NULL OR t.state = $1) AND ($2::text IS NULL OR t.requested_by = $2)
      AND ($3::text IS NULL OR t.summary ILIKE $3 OR t.name ILIKE $3 OR EXISTS (SELECT 1 FROM task_hosts x WHERE x.task_id = t.id AND (x.stdout ILIKE $3 OR x.stderr ILIKE $3)))
      AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM task_hosts y WHERE y.task_id = t.id AND y.host_id = $4))`;
    const ks = keyset(page, params);
    const { rows } = await this.db.query<TaskRow>(`SELECT t.* FROM tasks t WHERE ${where} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`, params);
    return recordsOf(rows);
  }

  async insert(
    q: Queryable,
    t: Omit<TaskRecord, 'createdAt' | 'finishedAt' | 'currentWave' | 'stopReason'>,
    hosts: Array<{ hostId: string; agentId: string | null; wave: number }>,
  ): Promise<void> {
    await q.query(
      `INSERT INTO tasks (id, name, kind, spec, summary, state, requested_by, expires_at, batch_size, max_concurrency, failure_limit, file_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        t.id,
        t.name,
        t.kind,
        JSON.stringify(t.spec),
        t.summary,
        t.state,
        t.requestedBy,
        t.expiresAt,
        t.batchSize,
        t.maxConcurrency,
        t.failureLimit,
        t.fileSha256,
      ],
    );
    // Hosts with no agent can never run it: unreachable from the start.
    await q.query(
      `INSERT INTO task_hosts (task_id, host_id, agent_id, wave, state, message, finished_at)
       SELECT $1, h, a, w, CASE WHEN a IS NULL THEN 'unreachable' ELSE 'queued' END,
              CASE WHEN a IS NULL THEN 'host has no enrolled agent' END, CASE WHEN a IS NULL THEN now() END
         FROM unnest($2::uuid[], $3::uuid[], $4::int[]) AS u(h, a, w)`,
      [t.id, hosts.map((h) => h.hostId), hosts.map((h) => h.agentId), hosts.map((h) => h.wave)],
    );
  }

  async get(id: string): Promise<TaskRecord | null> {
    const { rows } = await this.db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  /** The agent (not revoked) of each host; hosts without one are left out. */
  async agentsOf(q: Queryable, hostIds: string[]): Promise<Map<string, string>> {
    const { rows } = await q.query<{ host_id: string; id: string }>(
      `SELECT DISTINCT ON (host_id) host_id, id FROM agents WHERE host_id = ANY($1::uuid[]) AND state <> 'revoked' ORDER BY host_id, enrolled_at DESC`,
      [hostIds],
    );
    return new Map(rows.map((r) => [r.host_id, r.id]));
  }

  /** What planning needs of every host of a task. */
  async planRows(taskId: string): Promise<RecordOf<PlanRow>[]> {
    const { rows } = await this.db.query<PlanRow>(
      `SELECT th.host_id, th.agent_id, th.wave, th.state, coalesce(a.state = 'active', false) AS active
         FROM task_hosts th LEFT JOIN agents a ON a.id = th.agent_id WHERE th.task_id = $1 ORDER BY th.wave, th.host_id`,
      [taskId],
    );
    return recordsOf(rows);
  }

  /** Marks queued hosts sent with a fresh nonce each; returns those it marked (another node may have). */
  async markSent(taskId: string, hostIds: string[]): Promise<Array<{ hostId: string; agentId: string; nonce: string }>> {
    const { rows } = await this.db.query<{ host_id: string; agent_id: string; nonce: string }>(
      `UPDATE task_hosts SET state = 'sent', nonce = replace(gen_random_uuid()::text, '-', ''), sent_at = now()
        WHERE task_id = $1 AND host_id = ANY($2::uuid[]) AND state = 'queued' RETURNING host_id, agent_id, nonce`,
      [taskId, hostIds],
    );
    return recordsOf(rows);
  }

  async unsend(taskId: string, hostIds: string[]): Promise<void> {
    if (!hostIds.length) return;
    await this.db.query(
      `UPDATE task_hosts SET state = 'queued', nonce = NULL, sent_at = NULL WHERE task_id = $1 AND host_id = ANY($2::uuid[]) AND state = 'sent'`,
      [taskId, hostIds],
    );
  }

  /** Marks hosts running (their agents started); answers each one's host id, or undefined when not marked. */
  async markRunning(items: Array<{ taskId: string; agentId: string }>): Promise<Array<string | undefined>> {
    const { rows } = await this.db.query<{ task_id: string; agent_id: string; host_id: string }>(
      `UPDATE task_hosts th SET state = 'running' FROM unnest($1::uuid[], $2::uuid[]) AS u(task_id, agent_id)
        WHERE th.task_id = u.task_id AND th.agent_id = u.agent_id AND th.state IN ('queued', 'sent') RETURNING th.task_id, th.agent_id, th.host_id`,
      [items.map((i) => i.taskId), items.map((i) => i.agentId)],
    );
    return answerEach(items, rows);
  }

  /** Records hosts' results unless they have one already; answers each one's host id when recorded. */
  async finishHosts(items: Array<{ taskId: string; agentId: string; result: HostResult }>): Promise<Array<string | undefined>> {
    const col = <K extends keyof HostResult>(k: K) => items.map((i) => i.result[k] ?? null);
    const { rows } = await this.db.query<{ task_id: string; agent_id: string; host_id: string }>(
      `UPDATE task_hosts th SET state = u.state, exit_code = u.exit_code, signal = u.signal, stdout = u.stdout, stderr = u.stderr,
              stdout_cut = u.stdout_cut, stderr_cut = u.stderr_cut, duration_ms = u.duration_ms, message = u.message, finished_at = now()
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::int[], $11::text[])
              AS u(task_id, agent_id, state, exit_code, signal, stdout, stderr, stdout_cut, stderr_cut, duration_ms, message)
        WHERE th.task_id = u.task_id AND th.agent_id = u.agent_id AND th.state IN ('queued', 'sent', 'running')
        RETURNING th.task_id, th.agent_id, th.host_id`,
      [
        items.map((i) => i.taskId),
        items.map((i) => i.agentId),
        col('state'),
        col('exitCode'),
        col('signal'),
        col('stdout'),
        col('stderr'),
        col('stdoutCut'),
        col('stderrCut'),
        col('durationMs'),
        col('message'),
      ],
    );
    return answerEach(items, rows);
  }

  /** Ends hosts of a task in `from` states with one state and message; returns their ids. */
  async endHosts(taskId: string, from: HostRunState[], state: HostRunState, message: string): Promise<string[]> {
    const { rows } = await this.db.query<{ host_id: string }>(
      `UPDATE task_hosts SET state = $3, message = $4, finished_at = now() WHERE task_id = $1 AND state = ANY($2::text[]) RETURNING host_id`,
      [taskId, from, state, message],
    );
    return rows.map((r) => r.host_id);
  }

  async setWave(taskId: string, wave: number): Promise<void> {
    await this.db.query('UPDATE tasks SET current_wave = $2 WHERE id = $1 AND current_wave < $2', [taskId, wave]);
  }

  /** Moves a task from one state to another; false when it was not in `from`. */
  async transition(taskId: string, from: TaskState[], to: TaskState, stopReason?: string): Promise<boolean> {
    const final = to !== 'running' && to !== 'awaiting_approval';
    const { rowCount } = await this.db.query(
      `UPDATE tasks SET state = $3, stop_reason = coalesce($4, stop_reason), finished_at = CASE WHEN $5 THEN now() ELSE finished_at END
        WHERE id = $1 AND state = ANY($2::text[])`,
      [taskId, from, to, stopReason ?? null, final],
    );
    return rowCount > 0;
  }

  async runningTaskIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM tasks WHERE state = 'running'`);
    return rows.map((r) => r.id);
  }

  /** Running tasks with a queued host of these agents: they just came online. */
  async tasksWaitingFor(agentIds: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ task_id: string }>(
      `SELECT DISTINCT th.task_id FROM task_hosts th JOIN tasks t ON t.id = th.task_id
        WHERE th.agent_id = ANY($1::uuid[]) AND th.state = 'queued' AND t.state = 'running' AND t.expires_at > now()`,
      [agentIds],
    );
    return rows.map((r) => r.task_id);
  }

  /**
   * Hosts that cannot finish any more: queued past the task's expiry, or sent/running with no result
   * long after their timeout (agent gone for good, or restarted mid-run). Marked unreachable.
   */
  async sweepLost(graceS: number): Promise<Array<{ taskId: string; hostId: string; state: string; message: string }>> {
    const { rows } = await this.db.query<{ task_id: string; host_id: string; state: string; message: string }>(
      `UPDATE task_hosts th SET state = 'unreachable', finished_at = now(),
              message = CASE WHEN th.state = 'queued' THEN 'agent did not come online before the task expired'
                             ELSE 'no result from the agent within the timeout and ' || $1 || ' s' END
         FROM tasks t
        WHERE t.id = th.task_id AND th.state IN ('queued', 'sent', 'running')
          AND ((th.state = 'queued' AND (t.expires_at <= now() OR t.state NOT IN ('running', 'awaiting_approval')))
            OR (th.state IN ('sent', 'running') AND th.sent_at < now() - make_interval(secs => (t.spec->>'timeout_s')::int + $1)))
        RETURNING th.task_id, th.host_id, th.state, th.message`,
      [graceS],
    );
    return recordsOf(rows);
  }

  /** The hosts of a task, of these states only when given (a state no host can be in matches none). */
  async hostsOf(taskId: string, states?: readonly string[]): Promise<TaskHostRecord[]> {
    const { rows } = await this.db.query<TaskHostRow>(
      `SELECT th.*, coalesce(h.hostname, '') AS hostname FROM task_hosts th LEFT JOIN hosts h ON h.id = th.host_id
        WHERE th.task_id = $1 AND ($2::text[] IS NULL OR th.state = ANY($2::text[])) ORDER BY th.wave, h.hostname, th.host_id`,
      [taskId, states ?? null],
    );
    return recordsOf(rows);
  }

  async counts(taskId: string): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM task_hosts WHERE task_id = $1 GROUP BY state', [
      taskId,
    ]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Host counts by state of each of these tasks (a page of history in one query). */
  async countsOf(taskIds: string[]): Promise<Map<string, Record<string, number>>> {
    const { rows } = await this.db.query<{ task_id: string; state: string; n: number }>(
      'SELECT task_id, state, count(*)::int AS n FROM task_hosts WHERE task_id = ANY($1::uuid[]) GROUP BY task_id, state',
      [taskIds],
    );
    const out = new Map<string, Record<string, number>>(taskIds.map((id) => [id, {}]));
    for (const r of rows) out.get(r.task_id)![r.state] = r.n;
    return out;
  }

  async activeAgentsOf(taskId: string): Promise<Array<{ hostId: string; agentId: string }>> {
    const { rows } = await this.db.query<{ host_id: string; agent_id: string }>(
      `SELECT host_id, agent_id FROM task_hosts WHERE task_id = $1 AND state = ANY($2::text[]) AND agent_id IS NOT NULL`,
      [taskId, ACTIVE.filter((s) => s !== 'queued')],
    );
    return recordsOf(rows);
  }

  // --- change requests --------------------------------------------------------------------

  async insertChange(q: Queryable, c: Omit<ChangeRequestRecord, 'decidedBy' | 'decidedAt' | 'decisionNote' | 'createdAt' | 'state'>): Promise<void> {
    await q.query(
      `INSERT INTO task_change_requests (id, task_id, requested_by, requester, reason, risk, policy_ids, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')`,
      [c.id, c.taskId, c.requestedBy, c.requester, c.reason, c.risk, c.policyIds],
    );
  }

  async changeOf(taskId: string): Promise<ChangeRequestRecord | null> {
    const { rows } = await this.db.query<ChangeRequestRow>('SELECT * FROM task_change_requests WHERE task_id = $1', [taskId]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async decideChange(taskId: string, state: 'approved' | 'rejected', by: string, note: string | null): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE task_change_requests SET state = $2, decided_by = $3, decided_at = now(), decision_note = $4 WHERE task_id = $1 AND state = 'pending'`,
      [taskId, state, by, note],
    );
    return rowCount > 0;
  }
}
