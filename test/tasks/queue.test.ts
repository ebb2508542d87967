/**
 * The queue: tasks for offline agents wait in Postgres, survive a server restart, run when the
 * agent connects, and end as unreachable once expired. Rolling waves and the failure threshold
 * with several real agents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { RELAXED, startApiServer, type ApiServer } from '../api/api-client.js';
import { enrollAgent } from '../support/server.js';
import { connectedAgent, finishedHosts, runTask, startAgent, until, type TestAgent } from './support.js';

describe('tasks: queue, restart, waves', () => {
  let t: ApiServer;
  let restarted: RunningServer | undefined;
  const agents: TestAgent[] = [];
  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
  });
  afterAll(async () => {
    for (const a of agents) await a.runtime.stop();
    await restarted?.stop();
    await t?.close();
  });

  it('gives up on a host whose agent stays away past the task expiry', async () => {
    const enrolled = await enrollAgent(t, 'never-comes');
    const task = await runTask(t, { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [enrolled.hostId] }, expires_in_s: 10 });
    // Let the clock run out without waiting: the expiry is data, the sweep reads it.
    await t.testDb.db.query('UPDATE tasks SET expires_at = now() WHERE id = $1', [task.id]);
    const [h] = await finishedHosts(t, task.id, 15_000);
    expect(h.state).toBe('unreachable');
    expect(h.message).toMatch(/expired/);
    await until('task done', async () => (await t.call('GET', `/api/v1/tasks/${task.id}`, { headers: t.admin.auth })).body.data.state === 'done');
  });

  it('runs in waves, one after the other, and stops once failures pass the threshold', async () => {
    const fleet = [await connectedAgent(t, {}, 'w1'), await connectedAgent(t, {}, 'w2'), await connectedAgent(t, {}, 'w3'), await connectedAgent(t, {}, 'w4')];
    agents.push(...fleet);
    const ids = fleet.map((a) => a.hostId);
    const waves = await runTask(t, { action: { kind: 'shell', command: 'sleep 0.3' }, targets: { host_ids: ids }, batch_size: '50%' });
    expect(waves.batch_size).toBe(2);
    const hosts = await finishedHosts(t, waves.id);
    const [first, second] = [hosts.filter((h) => h.wave === 0), hosts.filter((h) => h.wave === 1)];
    expect(hosts.every((h) => h.state === 'ok')).toBe(true);
    const firstDone = Math.max(...first.map((h) => Date.parse(h.finished_at)));
    expect(Math.min(...second.map((h) => Date.parse(h.sent_at)))).toBeGreaterThanOrEqual(firstDone);

    const failing = await runTask(t, { action: { kind: 'shell', command: 'exit 1' }, targets: { host_ids: ids }, batch_size: 1, failure_threshold: 0 });
    const after = await finishedHosts(t, failing.id);
    expect(after.filter((h) => h.state === 'failed')).toHaveLength(1);
    expect(after.filter((h) => h.state === 'cancelled').every((h) => /threshold/.test(h.message))).toBe(true);
    const task = (await t.call('GET', `/api/v1/tasks/${failing.id}`, { headers: t.admin.auth })).body.data;
    expect(task).toMatchObject({ state: 'stopped', hosts: { failed: 1, cancelled: 3 } });
    expect(task.stop_reason).toMatch(/1 hosts failed/);
  });

  // Last: fetch keeps HTTP connections to the stopped server alive, so later calls could reach it.
  it('keeps a task for an offline agent across a server restart and runs it when the agent connects', async () => {
    const enrolled = await enrollAgent(t, 'offline-host');
    const task = await runTask(t, { action: { kind: 'shell', command: 'echo late but there' }, targets: { host_ids: [enrolled.hostId] } });
    await new Promise((r) => setTimeout(r, 300));
    let hosts = (await t.call('GET', `/api/v1/tasks/${task.id}/hosts`, { headers: t.admin.auth })).body.data;
    expect(hosts[0].state).toBe('queued');

    await t.server.stop();
    const config = loadConfig({ ...RELAXED, AW_AUTO_APPROVE: 'true', PORT: String(t.server.port), DATA_DIR: t.dataDir, LOG_LEVEL: 'silent' });
    restarted = await startServer(config, { db: t.testDb.db, log: createLogger('silent'), validateResponses: true });
    t.server = restarted;
    hosts = (await t.call('GET', `/api/v1/tasks/${task.id}/hosts`, { headers: t.admin.auth })).body.data;
    expect(hosts[0].state).toBe('queued');

    const agent = startAgent(t, enrolled);
    agents.push(agent);
    const [h] = await finishedHosts(t, task.id);
    expect(h).toMatchObject({ state: 'ok', exit_code: 0, stdout: 'late but there\n' });
  });
});
