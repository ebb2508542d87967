/** A server with real agents (AgentRuntime + TaskAgent) enrolled and connected, for task tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { httpBase } from '../../agent/enroll.js';
import type { AgentRuntime } from '../../agent/runtime.js';
import { SeenOrders } from '../../agent/tasks/seen-orders.js';
import { TaskAgent } from '../../agent/tasks/task-agent.js';
import type { TaskPolicy } from '../../agent/tasks/task-policy.js';
import type { ApiServer } from '../api/api-client.js';
import { enrollAgent, type EnrolledAgent } from '../support/server.js';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

export { until };

export interface TestAgent extends EnrolledAgent {
  runtime: AgentRuntime;
  tasks: TaskAgent;
  stateDir: string;
}

/** Starts the agent of an enrolled host (again, after a stop: same identity and seen-orders file). */
export function startAgent(t: ApiServer, enrolled: EnrolledAgent, policy: TaskPolicy = {}, stateDir = mkdtempSync(join(tmpdir(), 'aw-agent-'))): TestAgent {
  const log = pino({ level: process.env.AW_TEST_LOG ?? 'silent' });
  const tasks = new TaskAgent({
    agentId: enrolled.agentId,
    serverPublicKey: t.server.deps.identity.signPublicKey,
    policy,
    seen: new SeenOrders(join(stateDir, 'tasks-seen.json')),
    httpBase: httpBase(t.ws),
    log,
    outputFlushMs: 20,
  });
  const runtime = testRuntime(t.ws, enrolled, {
    hello: { agentVersion: 'test', hostname: 'task-host' },
    log,
    intervalS: 60,
    backoff: { baseMs: 50, capMs: 200 },
    tasks,
  });
  runtime.start();
  return { ...enrolled, runtime, tasks, stateDir };
}

export async function connectedAgent(t: ApiServer, policy: TaskPolicy = {}, hostname = 'task-host'): Promise<TestAgent> {
  const a = startAgent(t, await enrollAgent(t, hostname), policy);
  await until('agent connected', () => a.runtime.connected && t.server.deps.gateway.isOnline(a.agentId));
  return a;
}

/** Waits until every host of a task has finished; returns its per-host results. */
export async function finishedHosts(t: ApiServer, taskId: string, ms = 20_000): Promise<any[]> {
  let hosts: any[] = [];
  await until(
    `task ${taskId} finished`,
    async () => {
      hosts = (await t.call('GET', `/api/v1/tasks/${taskId}/hosts`, { headers: t.admin.auth })).body.data;
      return hosts.every((h) => !['queued', 'sent', 'running'].includes(h.state));
    },
    ms,
  ).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(hosts.map((h) => [h.wave, h.state, h.message]))}`);
  });
  return hosts;
}

export async function runTask(t: ApiServer, body: Record<string, unknown>): Promise<any> {
  const res = await t.call('POST', '/api/v1/tasks', { headers: t.admin.auth, body });
  if (res.status !== 201) throw new Error(`task refused: ${res.status} ${JSON.stringify(res.body.error)}`);
  return res.body.data;
}
