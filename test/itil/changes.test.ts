/**
 * Change management against a real server and Postgres: a change request cannot be approved by its
 * requester, neither with their session nor with their API key; it needs N other people; change
 * control then refuses tasks and asset edits made without an approved change, admits those made
 * under one (inside its window, hosts and assets), links them, lists them on the asset, shows the
 * window on the calendar, and closes with a review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

describe('change management', () => {
  let t: ApiServer;
  let alice: { id: string; auth: Record<string, string> };
  let aliceKey: Record<string, string>;
  let bob: { auth: Record<string, string> };
  let carolKey: Record<string, string>;
  const hosts: Record<string, string> = {};
  let assetId = '';
  let changeId = '';
  const hour = 3_600_000;

  const keyOf = async (owner: { auth: Record<string, string> }) => {
    const r = await t.call('POST', '/api/v1/api-keys', {
      headers: owner.auth,
      body: { name: 'ci', scopes: ['tasks:run', 'tasks:approve', 'tasks:read', 'cmdb:write', 'cmdb:read'] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { authorization: `Bearer ${r.body.data.bearer}` };
  };
  const decide = (id: string, verb: 'approve' | 'reject', auth: Record<string, string>) =>
    t.call('POST', `/api/v1/changes/${id}/${verb}`, { headers: auth, body: { note: verb } });
  const task = (host: string, extra: Record<string, unknown> = {}) =>
    t.call('POST', '/api/v1/tasks', {
      headers: alice.auth,
      body: { action: { kind: 'shell', command: 'systemctl restart app' }, targets: { host_ids: [hosts[host]] }, ...extra },
    });

  beforeAll(async () => {
    t = await startApiServer();
    alice = await t.userSession('admin', 'alice');
    bob = await t.userSession('admin', 'bob');
    aliceKey = await keyOf(alice);
    carolKey = await keyOf(await t.userSession('admin', 'carol'));
    for (const name of ['web1', 'web2'])
      hosts[name] = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } })).body.data.id;
    assetId = (await t.call('POST', '/api/v1/assets', { headers: t.admin.auth, body: { type: 'server', name: 'web1-chassis' } })).body.data.id;
  });
  afterAll(() => t?.close());

  it('refuses a malformed request and changes nothing', async () => {
    const now = Date.now();
    const base = { title: 'x', kinds: ['task'], reason: 'why not', risk: 'low' };
    const backwards = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: { ...base, window_start: new Date(now).toISOString(), window_end: new Date(now - hour).toISOString() },
    });
    expect(backwards.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.window_end' } });
    const ghost = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: { ...base, window_start: new Date(now).toISOString(), window_end: new Date(now + hour).toISOString(), host_ids: [assetId] },
    });
    expect(ghost.body.error?.code).toBe('HOST_NOT_FOUND');
    expect((await t.call('GET', '/api/v1/changes', { headers: t.admin.auth })).body.data).toEqual([]);
  });

  it('a change request cannot be approved by its requester, by session or API key; it takes N other people', async () => {
    const now = Date.now();
    const c = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: 'Restart the app on web1',
        kinds: ['task', 'asset'],
        reason: 'memory leak until 2.4.1',
        risk: 'medium',
        window_start: new Date(now - hour).toISOString(),
        window_end: new Date(now + hour).toISOString(),
        host_ids: [hosts.web1],
        asset_ids: [assetId],
        approvals_required: 2,
      },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body.data).toMatchObject({ state: 'requested', requested_by: 'user:alice', approvals_required: 2 });
    changeId = c.body.data.id;

    for (const auth of [alice.auth, aliceKey]) {
      for (const verb of ['approve', 'reject'] as const) {
        const self = await decide(changeId, verb, auth);
        expect(self.status).toBe(403);
        expect(self.body.error).toMatchObject({ code: 'APPROVER_IS_REQUESTER', details: { requested_by: 'user:alice' } });
      }
    }
    // The same holds the other way round: asked with a key, refused with the owner's session.
    const byKey = await t.call('POST', '/api/v1/changes', {
      headers: aliceKey,
      body: {
        title: 'by key',
        kinds: ['other'],
        reason: 'automation',
        risk: 'low',
        window_start: new Date(now).toISOString(),
        window_end: new Date(now + hour).toISOString(),
      },
    });
    expect((await decide(byKey.body.data.id, 'approve', alice.auth)).body.error?.code).toBe('APPROVER_IS_REQUESTER');

    const first = await decide(changeId, 'approve', bob.auth);
    expect(first.status).toBe(200);
    expect(first.body.data.change.state).toBe('requested');
    expect((await decide(changeId, 'approve', bob.auth)).body.error?.code).toBe('CHANGE_ALREADY_DECIDED');
    const second = await decide(changeId, 'approve', carolKey);
    expect(second.body.data.change.state).toBe('approved');
    expect(second.body.data.decisions.map((d: any) => [d.name, d.decision])).toEqual([
      ['user:bob', 'approved'],
      [expect.stringMatching(/^api_key:/), 'approved'],
    ]);
  });

  it('change control refuses tasks and asset edits without an approved change and links those made under one', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'production', host_ids: [hosts.web1], require_change: ['task', 'asset'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    expect(policy.body.data.require_change).toEqual(['task', 'asset']);

    const without = await task('web1', { change: { reason: 'second operator instead', risk: 'low' } });
    expect(without.body.error?.code).toBe('APPROVED_CHANGE_REQUIRED');
    const elsewhere = await task('web2', { change_id: changeId });
    expect(elsewhere.body.error?.code).toBe('CHANGE_NOT_USABLE');
    const under = await task('web1', { change_id: changeId });
    expect(under.status, JSON.stringify(under.body)).toBe(201);
    expect(under.body.data.state).toBe('running'); // approved by two people already: not held again

    const edit = (headers: Record<string, string>) =>
      t.call('PATCH', `/api/v1/assets/${assetId}`, { headers: { ...alice.auth, 'if-match': '*', ...headers }, body: { notes: 'new PSU' } });
    expect((await edit({})).body.error?.code).toBe('APPROVED_CHANGE_REQUIRED');
    expect((await t.call('GET', `/api/v1/assets/${assetId}`, { headers: t.admin.auth })).body.data.notes).not.toBe('new PSU');
    const edited = await edit({ 'x-change-id': changeId });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);

    const d = await t.call('GET', `/api/v1/changes/${changeId}`, { headers: t.admin.auth });
    expect(d.body.data.links.map((l: any) => [l.kind, l.object_id, l.actor])).toEqual([
      ['task', under.body.data.id, 'user:alice'],
      ['asset', assetId, 'user:alice'],
    ]);
    const onAsset = await t.call('GET', `/api/v1/assets/${assetId}/change-requests`, { headers: t.admin.auth });
    expect(onAsset.body.data.map((c: any) => c.id)).toEqual([changeId]);

    // A change still awaiting approval admits nothing.
    const pending = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: 'later',
        kinds: ['task'],
        reason: 'next week',
        risk: 'low',
        window_start: new Date(Date.now() - hour).toISOString(),
        window_end: new Date(Date.now() + hour).toISOString(),
      },
    });
    expect((await task('web1', { change_id: pending.body.data.id })).body.error?.code).toBe('CHANGE_NOT_USABLE');
  });

  it('shows windows on the calendar and closes with a review', async () => {
    const now = Date.now();
    const cal = await t.call('GET', `/api/v1/change-calendar?from=${new Date(now - 2 * hour).toISOString()}&to=${new Date(now + 2 * hour).toISOString()}`, {
      headers: t.admin.auth,
    });
    expect(cal.body.data.map((c: any) => c.id)).toContain(changeId);
    const later = await t.call('GET', `/api/v1/change-calendar?from=${new Date(now + 2 * hour).toISOString()}&to=${new Date(now + 3 * hour).toISOString()}`, {
      headers: t.admin.auth,
    });
    expect(later.body.data).toEqual([]);

    const review = await t.call('POST', `/api/v1/changes/${changeId}/review`, { headers: bob.auth, body: { outcome: 'succeeded', notes: 'leak gone' } });
    expect(review.body.data).toMatchObject({ state: 'reviewed', outcome: 'succeeded', reviewed_by: 'user:bob' });
    expect((await t.call('POST', `/api/v1/changes/${changeId}/review`, { headers: bob.auth, body: { outcome: 'failed', notes: '' } })).body.error?.code).toBe(
      'CHANGE_NOT_APPROVED',
    );
  });
});
