/** Change control: tasks on covered hosts wait for a second operator; the request records who, why, risk, approver, results. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { connectedAgent, finishedHosts, until, type TestAgent } from './support.js';

describe('tasks: change control', () => {
  let t: ApiServer;
  let prod: TestAgent;
  let dev: TestAgent;
  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    prod = await connectedAgent(t, {}, 'prod-1');
    dev = await connectedAgent(t, {}, 'dev-1');
  });
  afterAll(async () => {
    await prod?.runtime.stop();
    await dev?.runtime.stop();
    await t?.close();
  });

  it('holds a task on a covered host until another operator approves it, and attaches the results', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'production', host_ids: [prod.hostId] } });
    expect(policy.status).toBe(201);
    const operator = await t.userSession('operator', 'alice');
    const body = { action: { kind: 'shell', command: 'echo deployed' }, targets: { host_ids: [prod.hostId, dev.hostId] } };

    const bare = await t.call('POST', '/api/v1/tasks', { headers: operator.auth, body });
    expect(bare.status).toBe(400);
    expect(bare.body.error?.code).toBe('CHANGE_REQUEST_REQUIRED');

    const held = await t.call('POST', '/api/v1/tasks', {
      headers: operator.auth,
      body: { ...body, change: { reason: 'roll out release 42', risk: 'medium' } },
    });
    expect(held.status).toBe(201);
    expect(held.body.data).toMatchObject({
      state: 'awaiting_approval',
      change: { requested_by: 'user:alice', reason: 'roll out release 42', risk: 'medium', state: 'pending' },
    });
    const id = held.body.data.id;
    await new Promise((r) => setTimeout(r, 500));
    const waiting = (await t.call('GET', `/api/v1/tasks/${id}/hosts`, { headers: t.admin.auth })).body.data;
    expect(waiting.every((h: any) => h.state === 'queued')).toBe(true);

    // Operators cannot approve at all (tasks:approve); an approver cannot approve their own request.
    expect((await t.call('POST', `/api/v1/tasks/${id}/approve`, { headers: operator.auth, body: {} })).status).toBe(403);
    const ownTask = await t.call('POST', '/api/v1/tasks', { headers: t.admin.auth, body: { ...body, change: { reason: 'mine', risk: 'low' } } });
    const self = await t.call('POST', `/api/v1/tasks/${ownTask.body.data.id}/approve`, { headers: t.admin.auth, body: {} });
    expect(self.body.error?.code).toBe('APPROVER_IS_REQUESTER');

    const approver = await t.userSession('admin', 'bob');
    const ok = await t.call('POST', `/api/v1/tasks/${id}/approve`, { headers: approver.auth, body: { note: 'window 02:00' } });
    expect(ok.status).toBe(200);
    const hosts = await finishedHosts(t, id);
    expect(hosts.map((h) => h.state)).toEqual(['ok', 'ok']);
    await until('done', async () => (await t.call('GET', `/api/v1/tasks/${id}`, { headers: t.admin.auth })).body.data.state === 'done');
    const done = (await t.call('GET', `/api/v1/tasks/${id}`, { headers: t.admin.auth })).body.data;
    expect(done).toMatchObject({ state: 'done', hosts: { ok: 2 }, change: { state: 'approved', decided_by: 'user:bob', decision_note: 'window 02:00' } });

    const rejected = await t.call('POST', `/api/v1/tasks/${ownTask.body.data.id}/reject`, { headers: approver.auth, body: { note: 'not now' } });
    expect(rejected.body.data).toMatchObject({ state: 'rejected', hosts: { cancelled: 2 }, change: { state: 'rejected' } });
  });

  it('does not hold tasks on hosts no policy covers', async () => {
    const res = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [dev.hostId] } },
    });
    expect(res.body.data.state).toBe('running');
  });
});
