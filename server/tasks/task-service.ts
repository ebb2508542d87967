/**
 * Batch tasks, end to end on the server: a task is checked, its targets resolved and put in waves
 * (rollout.ts), held for a second operator when change control says so, then sent wave by wave as
 * signed orders (protocol/task-order.ts) to the agents that are connected; results come back
 * through the gateway's taskResult hook. Everything a task is waiting for is a row in Postgres
 * (task-store.ts), so a restart picks up where it was; a timer sweeps hosts that can no longer
 * finish (expired while offline, or silent well past their timeout).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServerIdentity } from '../auth/server-identity.js';
import { isRequester, type Actor } from '../auth/person.js';
import type { Config } from '../config.js';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { Presence } from '../cluster/presence.js';
import { MessageType, type MessageTypeCode } from '../../protocol/messages.js';
import { signOrder, type TaskAction, type TaskOrder } from '../../protocol/task-order.js';
import { checkTaskResult } from '../../protocol/validate.js';
import type { Db, Queryable } from '../store/db.js';
import { matchingPolicies, requiresChange, type ApprovalPolicy, type HostAction } from './approval-policies.js';
import type { EventBus } from '../events.js';
import { LiveOutput } from './live-output.js';
import { batchSizeOf, failureLimitOf, planStep } from './rollout.js';
import { resolveHostIds, type TargetResolver } from './targets.js';
import { TaskStore, type HostResult, type TaskRecord, type TaskSpec } from './task-store.js';
import { WriteBatcher } from '../store/write-batcher.js';

/** What the service needs of the cluster: which agents are connected (to any node), and send to one. */
/** Delivery to an agent on whichever node holds it, and presence (the cluster). */
export interface TaskGateway extends Pick<Presence, 'onlineOf'> {
  sendToAgent(agentId: string, type: MessageTypeCode, message: unknown): Promise<'local' | 'relayed' | 'offline'>;
}

/** What tasks need of change management: admit a task under a change (or refuse it), and record it there. */
export interface TaskChanges {
  admit(changeId: string, kind: HostAction, scope: { hostIds: string[] }): Promise<{ id: string }>;
  link(changeId: string, kind: 'task' | 'agent_upgrade', taskId: string, actor: string, note: string, q: Queryable): Promise<void>;
}

export interface TaskServiceDeps {
  db: Db;
  gateway: TaskGateway;
  identity: ServerIdentity;
  log: Logger;
  config: Config['tasks'];
  resolveTargets: TargetResolver;
  /** Looks up an uploaded file (file pushes). */
  fileSize?(sha256: string): Promise<number | null>;
  /** Change requests (server/itil/changes.ts): tasks made under an approved change are admitted and linked by it. */
  changes?: TaskChanges;
  /** The agent bundle this node serves (agent-upgrade tasks pin its version and hash when made). */
  agentBundle?(): { version: string; sha256: string; size: number } | undefined;
  /** How often lost hosts are swept, ms. */
  sweepMs?: number;
  /** Carries live output to watchers on other nodes. */
  bus?: EventBus;
}

export interface NewTask {
  name?: string;
  /** Stored as given (the tasks.spec JSON column keeps the API's snake_case keys). */
  spec: TaskSpec;
  maxConcurrency?: number;
  expiresInS?: number;
  change?: { reason: string; risk: 'low' | 'medium' | 'high' };
  /** An approved change request this task is made under: it stands for the second operator. */
  changeId?: string;
  /**
   * A step of a release rollout (server/itil/releases.ts): admitted under changeId as a release
   * (the change covers releases), and not linked on its own: the change links the rollout.
   */
  releaseStep?: boolean;
}

const ACTION_WORDS: Record<HostAction, string> = { task: 'tasks', agent_upgrade: 'agent upgrades', release: 'release rollouts' };

/** APPROVED_CHANGE_REQUIRED when a policy covering the hosts requires an approved change for this action. */
function refuseWithoutChange(policies: ApprovalPolicy[], action: HostAction): void {
  const need = policies.filter((p) => requiresChange(p, action));
  if (need.length) {
    throw new AppError(
      'APPROVED_CHANGE_REQUIRED',
      'invalid',
      `change control (${need.map((p) => p.name).join(', ')}) requires an approved change request for ${ACTION_WORDS[action]} on these hosts: give body.change_id`,
      { policies: need.map((p) => p.id) },
    );
  }
}

/** Where agents fetch the bundle an agent-upgrade pins (server/http/agent-downloads.ts); the order signs its hash. */
const AGENT_BUNDLE_URL = '/downloads/autowatch-agent.mjs';
/** Orders are valid this long on the wire (the task itself may wait much longer for an agent). */
const ORDER_TTL_MS = 5 * 60_000;
/** A host sent a task is given up on this long after its timeout. */
const LOST_GRACE_S = 120;

export class TaskService {
  readonly store: TaskStore;
  readonly live: LiveOutput;
  private readonly ticking = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  // Agents report in bursts (a wave finishing together): their writes go in one statement per 10 ms.
  private readonly starts: WriteBatcher<{ taskId: string; agentId: string }, string>;
  private readonly finishes: WriteBatcher<{ taskId: string; agentId: string; result: HostResult }, string>;
  private readonly arrivals: WriteBatcher<string, never>;

  constructor(private readonly deps: TaskServiceDeps) {
    this.live = new LiveOutput(deps.bus);
    this.store = new TaskStore(deps.db);
    this.starts = new WriteBatcher((items) => this.store.markRunning(items), { maxItems: 1000, maxWaitMs: 10 });
    this.finishes = new WriteBatcher((items) => this.store.finishHosts(items), { maxItems: 1000, maxWaitMs: 10 });
    this.arrivals = new WriteBatcher(
      async (agentIds) => {
        for (const id of await this.store.tasksWaitingFor(agentIds)) this.schedule(id);
        return [];
      },
      { maxItems: 5000, maxWaitMs: 50 },
    );
  }

  /** Resumes every running task (after a restart) and starts the sweep. */
  async start(): Promise<void> {
    for (const id of await this.store.runningTaskIds()) this.schedule(id);
    this.timer = setInterval(() => void this.sweep(), this.deps.sweepMs ?? 5_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.ticking.values()]);
  }

  // --- creating and deciding --------------------------------------------------------------

  async create(input: NewTask, requestedBy: Actor): Promise<TaskRecord> {
    const spec = input.spec;
    checkAction(spec);
    let fileSha: string | null = null;
    if (spec.action.kind === 'file') {
      const size = await this.deps.fileSize?.(spec.action.sha256);
      if (size === null || size === undefined)
        throw new AppError('FILE_NOT_FOUND', 'invalid', `no uploaded file has sha256 ${spec.action.sha256}; upload it first (POST /api/v1/files)`);
      spec.action.size = size;
      fileSha = spec.action.sha256;
    }
    if (spec.action.kind === 'agent-upgrade') {
      const bundle = this.deps.agentBundle?.();
      if (!bundle)
        throw new AppError(
          'AGENT_BUNDLE_NOT_BUILT',
          'conflict',
          'this server serves no agent bundle to upgrade to (npm run build:agent, or set AW_AGENT_BUNDLE)',
        );
      spec.action = { kind: 'agent-upgrade', version: bundle.version, sha256: bundle.sha256, size: bundle.size };
    }
    const hostIds = await resolveHostIds(this.deps.db, spec.targets, this.deps.resolveTargets);
    let batchSize: number;
    let failureLimit: number | null;
    try {
      batchSize = batchSizeOf(spec.batch_size, hostIds.length);
      failureLimit = failureLimitOf(spec.failure_threshold, hostIds.length);
    } catch (err) {
      throw new AppError('VALIDATION_FAILED', 'invalid', (err as Error).message);
    }
    const policies = await matchingPolicies(this.deps.db, hostIds, this.deps.resolveTargets);
    const changeAction: HostAction = input.releaseStep ? 'release' : spec.action.kind === 'agent-upgrade' ? 'agent_upgrade' : 'task';
    let changeId: string | null = null;
    if (input.changeId) {
      if (!this.deps.changes)
        throw new AppError('CHANGE_NOT_FOUND', 'invalid', 'change requests are not available on this server', { field: 'body.change_id' });
      changeId = (await this.deps.changes.admit(input.changeId, changeAction, { hostIds })).id;
    } else {
      refuseWithoutChange(policies, changeAction);
    }
    // An approved change request was approved by other people already: the task is not held again.
    const held = policies.length > 0 && !changeId;
    if (held && !input.change) {
      throw new AppError(
        'CHANGE_REQUEST_REQUIRED',
        'invalid',
        `change control covers ${policies.length} of the targets' policies (${policies.map((p) => p.name).join(', ')}): give change.reason and change.risk; a second operator must approve`,
        { policies: policies.map((p) => p.id) },
      );
    }
    const id = randomUUID();
    const task: Omit<TaskRecord, 'createdAt' | 'finishedAt' | 'currentWave' | 'stopReason'> = {
      id,
      name: input.name ?? '',
      kind: spec.action.kind,
      spec,
      summary: summaryOf(spec),
      state: held ? 'awaiting_approval' : 'running',
      requestedBy: requestedBy.name,
      expiresAt: new Date(Date.now() + (input.expiresInS ?? 24 * 3600) * 1000),
      batchSize,
      maxConcurrency: input.maxConcurrency ?? batchSize,
      failureLimit,
      fileSha256: fileSha,
    };
    await this.deps.db.tx(async (q) => {
      const agents = await this.store.agentsOf(q, hostIds);
      await this.store.insert(
        q,
        task,
        hostIds.map((h, i) => ({ hostId: h, agentId: agents.get(h) ?? null, wave: Math.floor(i / batchSize) })),
      );
      if (changeId && changeAction !== 'release') await this.deps.changes!.link(changeId, changeAction, id, requestedBy.name, task.summary.slice(0, 200), q);
      if (held) {
        await this.store.insertChange(q, {
          id: randomUUID(),
          taskId: id,
          requestedBy: requestedBy.name,
          requester: requestedBy.person,
          reason: input.change!.reason,
          risk: input.change!.risk,
          policyIds: policies.map((p) => p.id),
        });
      }
    });
    if (task.state === 'running') this.schedule(id);
    return (await this.store.get(id))!;
  }

  /** Second-operator decision on a task held by change control: by another person than the one who asked, however each signed in. */
  async decide(taskId: string, approve: boolean, actor: Actor, note: string | null): Promise<TaskRecord> {
    const by = actor.name;
    const task = await this.mustGet(taskId);
    const change = await this.store.changeOf(taskId);
    if (!change || task.state !== 'awaiting_approval')
      throw new AppError('TASK_NOT_AWAITING_APPROVAL', 'conflict', `task is ${task.state}, not awaiting approval`);
    if (isRequester({ name: change.requestedBy, person: change.requester }, actor)) {
      throw new AppError(
        'APPROVER_IS_REQUESTER',
        'forbidden',
        'a change must be decided by another person than the one who asked for it (an API key counts as its owner)',
        { requested_by: change.requestedBy },
      );
    }
    if (!(await this.store.decideChange(taskId, approve ? 'approved' : 'rejected', by, note)))
      throw new AppError('TASK_NOT_AWAITING_APPROVAL', 'conflict', 'the change was decided meanwhile');
    await this.store.transition(taskId, ['awaiting_approval'], approve ? 'running' : 'rejected', approve ? undefined : `rejected by ${by}`);
    if (!approve) await this.store.endHosts(taskId, ['queued'], 'cancelled', 'not run: the change was rejected');
    else this.schedule(taskId);
    this.live.publish(taskId, { type: 'task', state: approve ? 'running' : 'rejected' });
    return (await this.store.get(taskId))!;
  }

  /** Stops sending, cancels queued hosts and tells running agents to kill the process group. */
  async cancel(taskId: string, by: string): Promise<TaskRecord> {
    const task = await this.mustGet(taskId);
    if (!(await this.store.transition(taskId, ['running', 'awaiting_approval'], 'cancelled', `cancelled by ${by}`))) {
      throw new AppError('TASK_FINISHED', 'conflict', `task is ${task.state} already`);
    }
    for (const h of await this.store.endHosts(taskId, ['queued'], 'cancelled', `cancelled by ${by} before it was sent`)) {
      this.live.publish(taskId, { type: 'host', hostId: h, state: 'cancelled', exitCode: null, message: 'cancelled before it was sent' });
    }
    const now = Date.now();
    for (const { agentId } of await this.store.activeAgentsOf(taskId)) {
      const order = this.order(task, agentId, randomUUID().replace(/-/g, ''), { kind: 'cancel' }, now);
      await this.deps.gateway.sendToAgent(agentId, MessageType.task, signOrder(order, this.deps.identity.signSecretKey));
    }
    this.live.publish(taskId, { type: 'task', state: 'cancelled' });
    return (await this.store.get(taskId))!;
  }

  /** Refuses an action on these hosts (a release rollout) that change control says needs an approved change. */
  async requireChangeFor(hostIds: string[], action: HostAction): Promise<void> {
    refuseWithoutChange(await matchingPolicies(this.deps.db, hostIds, this.deps.resolveTargets), action);
  }

  async mustGet(taskId: string): Promise<TaskRecord> {
    const t = await this.store.get(taskId);
    if (!t) throw notFound('task', 'TASK_NOT_FOUND');
    return t;
  }

  // --- agents ------------------------------------------------------------------------------

  /** An agent connected (hello): send what waits for it. A reconnect storm costs one query per 50 ms. */
  async onAgentOnline(agentId: string): Promise<void> {
    await this.arrivals.add(agentId);
  }

  /** The gateway's taskResult hook: the frame is acked once this resolves. */
  async onResult(agent: { agentId: string }, body: unknown): Promise<void> {
    const m = checkTaskResult(body);
    if (m.event === 'output') {
      // Live only: the final result carries the whole (capped) output again.
      const hostId = await this.hostOfAgent(m.taskId, agent.agentId);
      if (hostId) this.live.publish(m.taskId, { type: 'output', hostId, stream: m.stream, data: m.data });
      return;
    }
    if (m.event === 'started') {
      const hostId = await this.starts.add({ taskId: m.taskId, agentId: agent.agentId });
      if (hostId) this.live.publish(m.taskId, { type: 'host', hostId, state: 'running', exitCode: null, message: null });
      return;
    }
    const result: HostResult =
      m.event === 'refused'
        ? { state: 'refused', exitCode: null, stdout: '', stderr: '', stdoutCut: false, stderrCut: false, durationMs: null, message: `${m.code}: ${m.message}` }
        : {
            state: m.state,
            exitCode: m.exitCode,
            signal: m.signal,
            stdout: m.stdout,
            stderr: m.stderr,
            stdoutCut: m.stdoutCut,
            stderrCut: m.stderrCut,
            durationMs: m.durationMs,
            message: m.message,
          };
    const hostId = await this.finishes.add({ taskId: m.taskId, agentId: agent.agentId, result });
    if (!hostId) return; // a result sent again after a reconnect, or for a host that was given up on
    if (m.event === 'refused') this.deps.log.warn({ task: m.taskId, agent: agent.agentId, code: m.code }, `agent refused a task: ${m.message}`);
    this.live.publish(m.taskId, { type: 'host', hostId, state: result.state, exitCode: result.exitCode, message: result.message ?? null });
    this.schedule(m.taskId);
  }

  private readonly agentHosts = new Map<string, string>();

  private async hostOfAgent(taskId: string, agentId: string): Promise<string | null> {
    const key = `${taskId}:${agentId}`;
    const cached = this.agentHosts.get(key);
    if (cached) return cached;
    const { rows } = await this.deps.db.query<{ host_id: string }>('SELECT host_id FROM task_hosts WHERE task_id = $1 AND agent_id = $2', [taskId, agentId]);
    if (!rows[0]) return null;
    if (this.agentHosts.size > 100_000) this.agentHosts.clear();
    this.agentHosts.set(key, rows[0].host_id);
    return rows[0].host_id;
  }

  // --- file downloads ----------------------------------------------------------------------

  /** The bearer token an agent downloads a task's file with: bound to the task and the agent. */
  downloadToken(taskId: string, agentId: string): string {
    return createHmac('sha256', this.deps.identity.signSecretKey).update(`task-file:${taskId}:${agentId}`).digest('base64url');
  }

  /** The file an agent may download now, or an AppError (401 wrong token, 404/410 no such or finished task). */
  async downloadable(taskId: string, agentId: string, token: string): Promise<{ sha256: string; size: number }> {
    const want = Buffer.from(this.downloadToken(taskId, agentId));
    const got = Buffer.from(token);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw new AppError('DOWNLOAD_TOKEN_INVALID', 'unauthenticated', 'download token is not valid for this task and agent');
    const task = await this.store.get(taskId);
    if (task?.spec.action.kind !== 'file') throw notFound('task file', 'TASK_NOT_FOUND');
    const { rows } = await this.deps.db.query('SELECT 1 FROM task_hosts WHERE task_id = $1 AND agent_id = $2 AND state IN ($3, $4)', [
      taskId,
      agentId,
      'sent',
      'running',
    ]);
    if (!rows.length) throw new AppError('TASK_NOT_RUNNING_HERE', 'gone', 'this agent has no running file push for this task');
    return { sha256: task.spec.action.sha256, size: task.spec.action.size };
  }

  // --- sending -----------------------------------------------------------------------------

  /** Runs a planning step for a task soon; steps of one task never overlap. */
  schedule(taskId: string): void {
    if (this.stopped) return;
    if (this.ticking.has(taskId)) {
      this.again.add(taskId);
      return;
    }
    const run = (async () => {
      await new Promise((r) => setImmediate(r));
      do {
        this.again.delete(taskId);
        try {
          await this.step(taskId);
        } catch (err) {
          this.deps.log.error({ err, task: taskId }, 'task step failed');
        }
      } while (this.again.has(taskId) && !this.stopped);
    })();
    this.ticking.set(taskId, run);
    void run.finally(() => this.ticking.delete(taskId));
  }

  private async step(taskId: string): Promise<void> {
    const task = await this.store.get(taskId);
    if (task?.state !== 'running') return;
    const rows = await this.store.planRows(taskId);
    const expired = task.expiresAt.getTime() <= Date.now();
    const queued = rows.filter((r) => r.state === 'queued' && r.active && r.agentId).map((r) => r.agentId!);
    const online = expired || !queued.length ? new Set<string>() : await this.deps.gateway.onlineOf(queued);
    const plan = planStep({
      currentWave: task.currentWave,
      maxConcurrency: task.maxConcurrency,
      failureLimit: task.failureLimit,
      hosts: rows.map((r) => ({ hostId: r.hostId, wave: r.wave, state: r.state, online: !!r.agentId && online.has(r.agentId) })),
    });
    if (plan.finished) {
      if (await this.store.transition(taskId, ['running'], 'done')) this.live.publish(taskId, { type: 'task', state: 'done' });
      return;
    }
    if (plan.stop) {
      if (await this.store.transition(taskId, ['running'], 'stopped', plan.stop)) {
        await this.store.endHosts(taskId, ['queued'], 'cancelled', `not run: ${plan.stop}`);
        this.deps.log.warn({ task: taskId }, `task stopped: ${plan.stop}`);
        this.live.publish(taskId, { type: 'task', state: 'stopped' });
      }
      return;
    }
    if (plan.wave !== task.currentWave) await this.store.setWave(taskId, plan.wave);
    if (!plan.send.length) return;
    const marked = await this.store.markSent(
      taskId,
      plan.send.map((h) => h.hostId),
    );
    const now = Date.now();
    const failed: string[] = [];
    await Promise.all(
      marked.map(async (m) => {
        const order = this.order(task, m.agentId, m.nonce, this.actionOf(task), now);
        const delivery = await this.deps.gateway.sendToAgent(m.agentId, MessageType.task, signOrder(order, this.deps.identity.signSecretKey));
        if (delivery === 'offline') failed.push(m.hostId);
      }),
    );
    // An agent that left between planning and sending, or whose socket buffer was full: try again soon.
    if (failed.length) {
      await this.store.unsend(taskId, failed);
      setTimeout(() => this.schedule(taskId), 1000).unref();
    }
  }

  private actionOf(task: TaskRecord): TaskAction {
    const a = task.spec.action;
    if (a.kind === 'agent-upgrade') return { kind: 'agent-upgrade', url: AGENT_BUNDLE_URL, sha256: a.sha256, size: a.size, version: a.version };
    if (a.kind !== 'file') return a;
    // createDirs only when asked, so orders without it stay as they were.
    return {
      kind: 'file',
      url: '',
      sha256: a.sha256,
      size: a.size,
      path: a.path,
      mode: a.mode,
      owner: a.owner,
      group: a.group,
      ...(a.create_dirs ? { createDirs: true } : {}),
    };
  }

  private order(task: TaskRecord, agentId: string, nonce: string, action: TaskAction, now: number): TaskOrder {
    const s = task.spec;
    if (action.kind === 'file') action = { ...action, url: `/agent-files/${task.id}/${agentId}` };
    return {
      taskId: task.id,
      nonce,
      agentId,
      issuedAt: now,
      expiresAt: Math.min(now + ORDER_TTL_MS, Math.max(task.expiresAt.getTime(), now + 60_000)),
      action,
      timeoutS: s.timeout_s,
      runAs: s.run_as,
      cwd: s.cwd,
      env: s.env,
      outputCapBytes: s.output_cap_bytes,
      downloadToken: action.kind === 'file' ? this.downloadToken(task.id, agentId) : undefined,
    };
  }

  private async sweep(): Promise<void> {
    try {
      const lost = await this.store.sweepLost(LOST_GRACE_S);
      const tasks = new Set<string>();
      for (const l of lost) {
        tasks.add(l.taskId);
        this.live.publish(l.taskId, { type: 'host', hostId: l.hostId, state: 'unreachable', exitCode: null, message: l.message });
      }
      for (const id of tasks) this.schedule(id);
    } catch (err) {
      this.deps.log.warn({ err }, 'task sweep failed');
    }
  }
}

function checkAction(spec: TaskSpec): void {
  const a = spec.action;
  if (a.kind === 'argv' && !a.argv.length) throw new AppError('VALIDATION_FAILED', 'invalid', 'argv needs at least the program');
  if (a.kind === 'file' && !a.path.startsWith('/')) throw new AppError('VALIDATION_FAILED', 'invalid', 'file path must be absolute');
  if (spec.cwd && !spec.cwd.startsWith('/')) throw new AppError('VALIDATION_FAILED', 'invalid', 'cwd must be absolute');
}

function summaryOf(spec: TaskSpec): string {
  const a = spec.action;
  switch (a.kind) {
    case 'shell':
      return a.command;
    case 'argv':
      return a.argv.join(' ');
    case 'script':
      return `${a.interpreter} script: ${a.script.slice(0, 2000)}`;
    case 'file':
      return `push ${a.sha256} to ${a.path}`;
    case 'agent-upgrade':
      return `upgrade the agent to ${a.version} (sha256 ${a.sha256})`;
  }
}
