/**
 * A task's output as server-sent events: first where every host stands (stored results), then
 * live: output chunks as agents send them, host state changes, each host's final result, and `end`
 * once the task and all its hosts are finished. A comment line every 15 s keeps proxies from
 * closing a quiet stream.
 *
 *   event: output  data: {host_id, stream, data}
 *   event: host    data: {host_id, state, exit_code, message}
 *   event: result  data: the host's result as GET /tasks/:id/hosts gives it
 *   event: task    data: {state}
 *   event: end     data: {state}
 */
import { Type } from '@sinclair/typebox';
import { route, type ResponseStream } from '../http/route.js';
import { compile } from '../http/wire.js';
import type { LiveEvent } from '../tasks/live-output.js';
import { FINISHED } from '../tasks/rollout.js';
import type { TaskService } from '../tasks/task-service.js';
import { HostResult } from './tasks.routes.js';
import { IdParams } from './schemas.js';

const KEEPALIVE_MS = 15_000;
const OPEN_TASK = new Set(['running', 'awaiting_approval']);
/** A `result` event's data: the host's result written as GET /tasks/:id/hosts writes it. */
const resultData = compile(HostResult);

const sse = (out: ResponseStream, event: string, data: unknown) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export function taskOutputRoutes(deps: { tasks: TaskService }) {
  const { tasks } = deps;

  async function serve(out: ResponseStream, taskId: string): Promise<void> {
    const early: LiveEvent[] = [];
    let ready = false;
    let ending = false;
    const maybeEnd = async () => {
      if (ending || out.closed) return;
      const task = await tasks.store.get(taskId);
      const counts = await tasks.store.counts(taskId);
      const open = (counts.queued ?? 0) + (counts.sent ?? 0) + (counts.running ?? 0);
      if (task && !OPEN_TASK.has(task.state) && open === 0 && !ending) {
        ending = true;
        sse(out, 'end', { state: task.state });
        out.end();
      }
    };
    const deliver = (e: LiveEvent) => {
      sse(
        out,
        e.type,
        e.type === 'output'
          ? { host_id: e.hostId, stream: e.stream, data: e.data }
          : e.type === 'host'
            ? { host_id: e.hostId, state: e.state, exit_code: e.exitCode, message: e.message }
            : { state: e.state },
      );
      if (e.type === 'host' && FINISHED.has(e.state as never)) {
        void tasks.store.hostsOf(taskId).then((rows) => {
          const row = rows.find((r) => r.hostId === e.hostId);
          if (row && !out.closed) sse(out, 'result', resultData(row));
          return maybeEnd();
        });
      } else if (e.type === 'task') void maybeEnd();
    };
    // Watch first, then read what is stored, so nothing falls between the two.
    const unwatch = tasks.live.watch(taskId, (e) => (ready ? deliver(e) : early.push(e)));
    const keepalive = setInterval(() => out.write(': keepalive\n\n'), KEEPALIVE_MS);
    out.onClose(() => {
      unwatch();
      clearInterval(keepalive);
    });
    try {
      const task = await tasks.mustGet(taskId);
      sse(out, 'task', { state: task.state });
      for (const row of await tasks.store.hostsOf(taskId)) {
        sse(
          out,
          FINISHED.has(row.state) ? 'result' : 'host',
          FINISHED.has(row.state) ? resultData(row) : { host_id: row.hostId, state: row.state, exit_code: null, message: row.message },
        );
      }
      ready = true;
      for (const e of early.splice(0)) deliver(e);
      await maybeEnd();
    } catch {
      out.end();
    }
  }

  return [
    route({
      method: 'GET',
      path: '/api/v1/tasks/:id/output/stream',
      summary: 'Live output and results of a task as server-sent events (text/event-stream)',
      description:
        "Events: output {host_id, stream, data}; host {host_id, state, exit_code, message}; result (a host's final result); task {state}; end. Stored results come first, so a late watcher misses nothing but live chunks of hosts that already finished (their result carries the output).",
      tag: 'tasks',
      scope: 'tasks:read',
      params: IdParams,
      produces: 'text/event-stream',
      response: Type.String(),
      handler: async (ctx) => {
        await tasks.mustGet(ctx.params.id);
        ctx.setHeader('x-accel-buffering', 'no');
        ctx.stream((out) => void serve(out, ctx.params.id));
        return '';
      },
    }),
  ];
}
