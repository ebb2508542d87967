/**
 * Batch tasks: run a command, an argv, a script or a file push on hosts in rolling waves; watch the
 * output live; cancel; approve under change control. The domain is server/tasks/.
 */
import { Type, type Static } from '@sinclair/typebox';
import { collection, finishPage } from '../http/pagination.js';
import { actingAs } from '../auth/person.js';
import { route } from '../http/route.js';
import type { TaskService } from '../tasks/task-service.js';
import { parseFileMode } from '../tasks/file-mode.js';
import { hostCounts, taskOutcome, TASK_OUTCOMES } from '../tasks/task-outcome.js';
import { TASK_ORDER, type ChangeRequestRecord, type TaskRecord, type TaskSpec } from '../tasks/task-store.js';
import type { ApiDeps } from './deps.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const CountOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d{1,3}(\\.\\d+)?%$' })]);

const Action = Type.Union([
  Type.Object({ kind: Type.Literal('shell'), command: Type.String({ minLength: 1, maxLength: 65536 }) }),
  Type.Object({ kind: Type.Literal('argv'), argv: Type.Array(Type.String({ maxLength: 65536 }), { minItems: 1, maxItems: 1024 }) }),
  Type.Object({
    kind: Type.Literal('script'),
    script: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
    interpreter: Type.String({ default: '/bin/sh', pattern: '^/', maxLength: 256 }),
  }),
  Type.Object({
    kind: Type.Literal('file'),
    sha256: Sha256,
    path: Type.String({ pattern: '^/', maxLength: 4096 }),
    // Any number or text passes the schema so a bad mode is reported on its own field (parseFileMode), not as a failed union.
    // Optional, defaulted in the handler: schema defaults are not applied inside a union.
    mode: Type.Optional(
      Type.Union([Type.Number(), Type.String({ maxLength: 32 })], {
        description: 'octal text ("0640", "640", "0o640") or a number (420 is 0644); 0644 when left out',
      }),
    ),
    owner: Type.Optional(Type.String({ maxLength: 64 })),
    group: Type.Optional(Type.String({ maxLength: 64 })),
    create_dirs: Type.Optional(Type.Boolean({ description: 'create missing parent folders (0755); without it a missing folder fails the host at once' })),
  }),
  Type.Object(
    { kind: Type.Literal('agent-upgrade') },
    {
      description:
        'the agents fetch the bundle this server serves (GET /downloads/autowatch-agent.mjs), check its SHA-256 and restart on it; the task shows the version and hash it pinned',
    },
  ),
]);

const Targets = Type.Object({
  host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100_000 })),
  groups: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
  selector: Type.Optional(Type.String({ maxLength: 4096 })),
});

const ChangeRequest = Type.Object(
  {
    id: Uuid,
    requested_by: Type.String(),
    reason: Type.String(),
    risk: Type.String(),
    policy_ids: Type.Array(Uuid),
    state: Type.String(),
    decided_by: Nullable(Type.String()),
    decided_at: Nullable(Timestamp),
    decision_note: Nullable(Type.String()),
    created_at: Timestamp,
  },
  // Closed: the task id and the requesting person (checked against the approver) stay out.
  { additionalProperties: false },
);

const Task = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    kind: Type.String(),
    state: Type.String({ description: 'the lifecycle: awaiting_approval, running, done, stopped (failure threshold), cancelled, rejected' }),
    outcome: Type.Union(
      TASK_OUTCOMES.map((o) => Type.Literal(o)),
      {
        description: "what happened, from the hosts' results: pending, running, ok, partly_failed, failed, timed_out, cancelled, rejected",
      },
    ),
    host_counts: Type.Record(Type.String(), Type.Integer(), { description: 'hosts per state, every state present (zeros included)' }),
    action: Type.Any(),
    targets: Type.Any(),
    timeout_s: Type.Integer(),
    run_as: Nullable(Type.String()),
    cwd: Nullable(Type.String()),
    env: Type.Record(Type.String(), Type.String()),
    output_cap_bytes: Type.Integer({ description: 'stdout and stderr are each kept up to this many bytes; the rest is cut and marked' }),
    batch_size: Type.Integer(),
    max_concurrency: Type.Integer(),
    failure_limit: Nullable(Type.Integer()),
    current_wave: Type.Integer(),
    stop_reason: Nullable(Type.String()),
    requested_by: Type.String(),
    created_at: Timestamp,
    expires_at: Timestamp,
    finished_at: Nullable(Timestamp),
    hosts: Type.Optional(
      Type.Record(Type.String(), Type.Integer(), { description: 'older form of host_counts (only the states some host is in); detail and write answers only' }),
    ),
    change: Type.Optional(Nullable(ChangeRequest)),
  },
  // Closed: the record's spec, summary and file hash stay out of the answer.
  { additionalProperties: false },
);

/** A host's result (also the SSE `result` event): closed, so the order's nonce stays out. */
export const HostResult = Type.Object(
  {
    host_id: Uuid,
    hostname: Type.String(),
    agent_id: Nullable(Uuid),
    wave: Type.Integer(),
    state: Type.String({ description: 'queued, sent, running, ok, failed, timed_out, cancelled, unreachable, refused' }),
    exit_code: Nullable(Type.Integer()),
    signal: Nullable(Type.String()),
    stdout: Type.String(),
    stderr: Type.String(),
    stdout_cut: Type.Boolean(),
    stderr_cut: Type.Boolean(),
    duration_ms: Nullable(Type.Integer()),
    message: Nullable(Type.String()),
    sent_at: Nullable(Timestamp),
    finished_at: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

/**
 * A task as the API shows it: the record with its spec's run options, its outcome and its hosts per
 * state (`counts` as the store counts them); `withHosts` also gives them in the older `hosts` field.
 */
function taskAnswer(t: TaskRecord, counts: Record<string, number>, extra: { withHosts?: boolean; change?: ChangeRequestRecord | null } = {}) {
  const { action, targets, ...s } = t.spec;
  const all = hostCounts(counts);
  return {
    ...t,
    outcome: taskOutcome(t.state, all),
    hostCounts: all,
    action,
    targets,
    timeoutS: s.timeout_s,
    runAs: s.run_as ?? null,
    cwd: s.cwd ?? null,
    env: s.env ?? {},
    outputCapBytes: s.output_cap_bytes,
    ...(extra.withHosts ? { hosts: counts } : {}),
    ...(extra.change !== undefined ? { change: extra.change } : {}),
  };
}

/** The action as the spec stores it: a file's mode as a number; what the service fills in (a file's size, the agent bundle an upgrade pins) left empty. */
function specAction(a: Static<typeof Action>): TaskSpec['action'] {
  if (a.kind === 'file') return { ...a, mode: parseFileMode(a.mode ?? 0o644, 'body.action.mode'), size: 0 };
  if (a.kind === 'agent-upgrade') return { kind: 'agent-upgrade', version: '', sha256: '', size: 0 };
  return a;
}

const tasksCollection = collection(TASK_ORDER);

const actor = (p: { kind: string; id: string; name: string }) => `${p.kind}:${p.name}`;

export function taskRoutes(deps: ApiDeps & { tasks: TaskService }) {
  const { tasks } = deps;
  const cap = deps.config.tasks.outputCapBytes;
  return [
    route({
      method: 'POST',
      path: '/api/v1/tasks',
      summary: 'Run a command, argv, script or file push on hosts, in rolling batches',
      description:
        'Each host gets an order signed with the server key; agents refuse unsigned, altered, expired or replayed orders and say so. ' +
        'batch_size and failure_threshold take a number of hosts or a percentage ("10%"). Hosts under a change-control policy ' +
        'need change.reason and change.risk, and the task waits for a second operator (POST .../approve).',
      tag: 'tasks',
      scope: 'tasks:run',
      status: 201,
      body: Type.Object({
        name: Type.Optional(Type.String({ maxLength: 200 })),
        action: Action,
        targets: Targets,
        timeout_s: Type.Integer({ minimum: 1, maximum: 7 * 86400, default: 300 }),
        run_as: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_.-]{0,31}$|^\\d+$' })),
        cwd: Type.Optional(Type.String({ pattern: '^/', maxLength: 4096 })),
        env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 32768 }), { maxProperties: 256 })),
        output_cap_bytes: Type.Optional(Type.Integer({ minimum: 64, maximum: cap, description: `per stream; at most ${cap} (AW_TASK_OUTPUT_CAP_BYTES)` })),
        batch_size: Type.Optional(CountOrPercent),
        failure_threshold: Type.Optional(CountOrPercent),
        max_concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
        expires_in_s: Type.Optional(
          Type.Integer({ minimum: 10, maximum: 30 * 86400, description: 'how long queued hosts wait for their agent; 24 h by default' }),
        ),
        change: Type.Optional(
          Type.Object({
            reason: Type.String({ minLength: 3, maxLength: 4000 }),
            risk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
          }),
        ),
        change_id: Type.Optional(
          Type.String({
            format: 'uuid',
            description:
              'an approved change request (docs/itil.md) this task is made under: in its window, on its hosts; the task is linked to it and not held again',
          }),
        ),
      }),
      response: Task,
      handler: async (ctx) => {
        const b = ctx.body;
        const task = await tasks.create(
          {
            name: b.name,
            maxConcurrency: b.max_concurrency,
            expiresInS: b.expires_in_s,
            change: b.change,
            changeId: b.change_id,
            spec: {
              action: specAction(b.action),
              targets: b.targets,
              timeout_s: b.timeout_s,
              run_as: b.run_as,
              cwd: b.cwd,
              env: b.env,
              output_cap_bytes: b.output_cap_bytes ?? cap,
              batch_size: b.batch_size,
              failure_threshold: b.failure_threshold,
            },
          },
          actingAs(ctx.principal!),
        );
        ctx.audit({ task_id: task.id, kind: task.kind, summary: task.summary.slice(0, 200), state: task.state });
        ctx.setHeader('location', `/api/v1/tasks/${task.id}`);
        return taskAnswer(task, await tasks.store.counts(task.id), { withHosts: true, change: await tasks.store.changeOf(task.id) });
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/tasks',
      summary: 'Task history: search by text (command, script, path, output), state, requester',
      tag: 'tasks',
      scope: 'tasks:read',
      query: Type.Object({
        ...tasksCollection.query,
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "text in the command/script/path or in any host's output" })),
        state: Type.Optional(Type.String({ maxLength: 32 })),
        requested_by: Type.Optional(Type.String({ maxLength: 200 })),
        host_id: Type.Optional(Uuid),
      }),
      response: Type.Array(Task),
      handler: async (ctx) => {
        const page = tasksCollection.read(ctx.query);
        const { q, state, requested_by: requestedBy, host_id: hostId } = ctx.query;
        const rows = await tasks.store.list(page, { q, state, requestedBy, hostId });
        const shown = finishPage(ctx, rows, page, (t) => [t.createdAt, t.id]);
        const counts = await tasks.store.countsOf(shown.map((t) => t.id));
        return shown.map((t) => taskAnswer(t, counts.get(t.id)!));
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/tasks/:id',
      summary: 'A task, its host counts by state and its change request',
      tag: 'tasks',
      scope: 'tasks:read',
      params: IdParams,
      response: Task,
      handler: async (ctx) => {
        const t = await tasks.mustGet(ctx.params.id);
        return taskAnswer(t, await tasks.store.counts(t.id), { withHosts: true, change: await tasks.store.changeOf(t.id) });
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/tasks/:id/hosts',
      summary: 'Per-host results of a task: state, exit code, capped stdout/stderr, duration',
      tag: 'tasks',
      scope: 'tasks:read',
      params: IdParams,
      query: Type.Object({ state: Type.Optional(Type.String({ maxLength: 32 })) }),
      response: Type.Array(HostResult),
      handler: async (ctx) => {
        await tasks.mustGet(ctx.params.id);
        return tasks.store.hostsOf(ctx.params.id, ctx.query.state ? [ctx.query.state] : undefined);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/tasks/:id/cancel',
      summary: 'Cancel a task: queued hosts are not run, running ones have their process group killed',
      tag: 'tasks',
      scope: 'tasks:run',
      params: IdParams,
      response: Task,
      handler: async (ctx) => {
        const t = await tasks.cancel(ctx.params.id, actor(ctx.principal!));
        ctx.audit({ task_id: t.id });
        return taskAnswer(t, await tasks.store.counts(t.id), { withHosts: true });
      },
    }),
    ...(['approve', 'reject'] as const).map((verb) =>
      route({
        method: 'POST',
        path: `/api/v1/tasks/:id/${verb}`,
        summary:
          verb === 'approve' ? 'Approve a task held by change control (not by its requester, nor with their API key)' : 'Reject a task held by change control',
        tag: 'tasks',
        scope: 'tasks:approve',
        params: IdParams,
        body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 4000 })) }),
        response: Task,
        handler: async (ctx) => {
          const t = await tasks.decide(ctx.params.id, verb === 'approve', actingAs(ctx.principal!), ctx.body.note ?? null);
          ctx.audit({ task_id: t.id, decision: verb });
          return taskAnswer(t, await tasks.store.counts(t.id), { withHosts: true, change: await tasks.store.changeOf(t.id) });
        },
      }),
    ),
  ];
}
