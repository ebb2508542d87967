/**
 * The two-person rule counts people, not credentials (issue 16, finding 8): a change asked for with
 * a session cannot be approved with the same person's API key, nor the other way round; another
 * person can. A key without an owner is a requester of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { connectedAgent, type TestAgent } from './support.js';

describe('tasks: the two-person rule', () => {
  let t: ApiServer;
  let prod: TestAgent;
  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    prod = await connectedAgent(t, {}, 'prod-2p');
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'production', host_ids: [prod.hostId] } });
    expect(policy.status).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await prod?.runtime.stop();
    await t?.close();
  });

  const held = async (auth: Record<string, string>) => {
    const res = await t.call('POST', '/api/v1/tasks', {
      headers: auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [prod.hostId] }, change: { reason: 'two-person rule', risk: 'low' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.state).toBe('awaiting_approval');
    return res.body.data.id as string;
  };
  const keyOf = async (owner: { auth: Record<string, string> }) => {
    const res = await t.call('POST', '/api/v1/api-keys', { headers: owner.auth, body: { name: 'ci', scopes: ['tasks:run', 'tasks:approve', 'tasks:read'] } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { authorization: `Bearer ${res.body.data.bearer}` };
  };
  const decide = (id: string, verb: 'approve' | 'reject', auth: Record<string, string>) =>
    t.call('POST', `/api/v1/tasks/${id}/${verb}`, { headers: auth, body: {} });

  it("alice's session asks, alice's API key may not approve (nor reject); bob approves", async () => {
    const alice = await t.userSession('admin', 'alice');
    const bob = await t.userSession('admin', 'bob');
    const aliceKey = await keyOf(alice);
    const id = await held(alice.auth);

    for (const verb of ['approve', 'reject'] as const) {
      const self = await decide(id, verb, aliceKey);
      expect(self.status).toBe(403);
      expect(self.body.error).toMatchObject({ code: 'APPROVER_IS_REQUESTER', details: { requested_by: 'user:alice' } });
    }
    expect((await t.call('GET', `/api/v1/tasks/${id}`, { headers: t.admin.auth })).body.data.state).toBe('awaiting_approval');

    const ok = await decide(id, 'approve', bob.auth);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data.change).toMatchObject({ state: 'approved', decided_by: 'user:bob' });
  });

  it("alice's API key asks, alice's session may not approve; bob's API key approves", async () => {
    const alice = await t.userSession('admin', 'alice2');
    const bob = await t.userSession('admin', 'bob2');
    const id = await held(await keyOf(alice));
    expect((await decide(id, 'approve', alice.auth)).body.error?.code).toBe('APPROVER_IS_REQUESTER');
    expect((await decide(id, 'approve', await keyOf(bob))).status).toBe(200);
  });

  it('a key without an owner never approves its own request, nor does another ownerless key of the same name', async () => {
    const keys = new ApiKeyStore(t.server.deps.db);
    const make = async () => {
      const { key, secret } = await keys.create({
        name: 'cli',
        scopes: ['tasks:run', 'tasks:approve', 'tasks:read'],
        ownerId: null,
        expiresAt: null,
        createdBy: 'test',
      });
      return { authorization: `Bearer ${key.id}.${secret}` };
    };
    const orphan = await make();
    const id = await held(orphan);
    expect((await decide(id, 'approve', orphan)).body.error?.code).toBe('APPROVER_IS_REQUESTER');
    // Another ownerless key named alike: the name rule still refuses (it cannot be told apart from the first by name).
    expect((await decide(id, 'approve', await make())).body.error?.code).toBe('APPROVER_IS_REQUESTER');
    const carol = await t.userSession('admin', 'carol');
    expect((await decide(id, 'approve', carol.auth)).status).toBe(200);
  });
});
