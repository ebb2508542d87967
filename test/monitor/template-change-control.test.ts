/**
 * Change control for templates, through the real server on Postgres: with a policy that sets
 * template_plugin_items, a template change adding or changing a plugin item is refused when made
 * directly, held when asked for, applied only when a second operator approves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { newPluginItems } from '../../server/monitor/template-changes.js';

const load = { key: 'load', type: 'plugin', interval_s: 60, command: 'check_load', args: ['-w', '5', '-c', '10'] };
const shell = { key: 'inv', type: 'plugin', interval_s: 60, command: 'negate', args: ['/bin/sh', '-c', 'touch /tmp/x'] };
const tcp = { key: 'ssh', type: 'tcp', interval_s: 60, params: { host: '127.0.0.1', port: 22 } };

describe('newPluginItems', () => {
  it('names plugin items whose command or arguments are new, whatever their key or interval', () => {
    const item = (o: object) => ({ ...load, ...o }) as any;
    expect(newPluginItems([item({})], [item({ key: 'renamed', interval_s: 5 }), tcp as any])).toEqual([]);
    expect(newPluginItems([item({})], [item({ args: ['-w', '6', '-c', '10'] })])).toHaveLength(1);
    expect(newPluginItems([], [item({}), shell as any]).map((i) => i.key)).toEqual(['load', 'inv']);
  });
});

describe('templates under change control', () => {
  let t: ApiServer;
  let alice: { auth: Record<string, string> };
  let bob: { auth: Record<string, string> };
  let templateId: string;
  beforeAll(async () => {
    t = await startApiServer();
    alice = await t.userSession('operator', 'alice-tpl');
    bob = await t.userSession('admin', 'bob-tpl');
    const made = await t.call('POST', '/api/v1/templates', { headers: alice.auth, body: { name: 'cc base', items: [load], triggers: [] } });
    expect(made.status).toBe(201); // no policy yet: applied directly
    templateId = made.body.data.id;
  });
  afterAll(async () => {
    await t?.close();
  });
  const template = async () => (await t.call('GET', `/api/v1/templates/${templateId}`, { headers: t.admin.auth })).body.data;
  const put = async (who: { auth: Record<string, string> }, items: object[]) => {
    const cur = await template();
    return t.call('PUT', `/api/v1/templates/${templateId}`, {
      headers: { ...who.auth, 'if-match': `"${cur.version}"` },
      body: { name: 'cc base', items, triggers: [] },
    });
  };

  it('a policy with template_plugin_items (no hosts needed) refuses direct changes adding or changing plugin items', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'plugin items', template_plugin_items: true } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    expect(policy.body.data.template_plugin_items).toBe(true);

    const before = await template();
    const added = await put(alice, [load, shell]);
    expect(added.status).toBe(400);
    expect(added.body.error!).toMatchObject({ code: 'CHANGE_REQUEST_REQUIRED', details: { policies: [policy.body.data.id] } });
    expect(added.body.error!.message).toMatch(/POST \/api\/v1\/template-changes/);
    const changedArgs = await put(alice, [{ ...load, args: ['-w', '1', '-c', '2'] }]);
    expect(changedArgs.body.error?.code).toBe('CHANGE_REQUEST_REQUIRED');
    const created = await t.call('POST', '/api/v1/templates', { headers: alice.auth, body: { name: 'cc new', items: [shell], triggers: [] } });
    expect(created.body.error?.code).toBe('CHANGE_REQUEST_REQUIRED');
    expect(await template()).toMatchObject({ version: before.version, items: before.items });
    const names = (await t.call('GET', '/api/v1/templates', { headers: t.admin.auth })).body.data.map((x: any) => x.name);
    expect(names).not.toContain('cc new');

    // What runs no new program is not held: other item types, a plugin item's interval.
    const fine = await put(alice, [{ ...load, interval_s: 30 }, tcp]);
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
  });

  it('a held change waits, cannot be approved by its requester or an operator, and is applied when another approver says so', async () => {
    const before = await template();
    const asked = await t.call('POST', '/api/v1/template-changes', {
      headers: alice.auth,
      body: {
        template_id: templateId,
        version: before.version,
        template: { name: 'cc base', items: [...before.items, shell], triggers: [] },
        change: { reason: 'inverted check', risk: 'high' },
      },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.data).toMatchObject({
      state: 'pending',
      requested_by: 'user:alice-tpl',
      template_id: templateId,
      base_version: before.version,
      risk: 'high',
    });
    const id = asked.body.data.id;
    expect((await template()).version).toBe(before.version);
    expect((await t.call('GET', '/api/v1/template-changes', { headers: alice.auth })).body.data.map((c: any) => c.id)).toContain(id);

    expect((await t.call('POST', `/api/v1/template-changes/${id}/approve`, { headers: alice.auth, body: {} })).status).toBe(403);
    const own = await t.call('POST', '/api/v1/template-changes', {
      headers: bob.auth,
      body: { template: { name: 'cc bob', items: [shell], triggers: [] }, change: { reason: 'mine', risk: 'low' } },
    });
    expect(own.status).toBe(201);
    expect((await t.call('POST', `/api/v1/template-changes/${own.body.data.id}/approve`, { headers: bob.auth, body: {} })).body.error?.code).toBe(
      'APPROVER_IS_REQUESTER',
    );

    const ok = await t.call('POST', `/api/v1/template-changes/${id}/approve`, { headers: bob.auth, body: { note: 'reviewed' } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data).toMatchObject({ state: 'approved', decided_by: 'user:bob-tpl', decision_note: 'reviewed', template: { version: before.version + 1 } });
    expect((await template()).items.map((i: any) => i.key)).toEqual([...before.items.map((i: any) => i.key), 'inv']);
    expect((await t.call('POST', `/api/v1/template-changes/${id}/approve`, { headers: bob.auth, body: {} })).body.error?.code).toBe('CHANGE_NOT_PENDING');

    const rejected = await t.call('POST', `/api/v1/template-changes/${own.body.data.id}/reject`, { headers: t.admin.auth, body: { note: 'no' } });
    expect(rejected.body.data).toMatchObject({ state: 'rejected', decided_by: 'user:root' });
    const names = (await t.call('GET', '/api/v1/templates', { headers: t.admin.auth })).body.data.map((x: any) => x.name);
    expect(names).not.toContain('cc bob');
  });

  it('a change approved after the template moved on is 412 and stays pending; a change nothing holds is refused', async () => {
    const before = await template();
    const asked = await t.call('POST', '/api/v1/template-changes', {
      headers: alice.auth,
      body: {
        template_id: templateId,
        version: before.version,
        template: { name: 'cc base', items: [...before.items, { ...shell, key: 'inv2', args: ['/bin/true'] }], triggers: [] },
        change: { reason: 'second item', risk: 'low' },
      },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(
      (
        await put(
          alice,
          before.items.filter((i: any) => i.type !== 'tcp'),
        )
      ).status,
    ).toBe(200);
    const stale = await t.call('POST', `/api/v1/template-changes/${asked.body.data.id}/approve`, { headers: bob.auth, body: {} });
    expect(stale.status).toBe(412);
    expect((await t.call('GET', `/api/v1/template-changes/${asked.body.data.id}`, { headers: alice.auth })).body.data.state).toBe('pending');
    expect((await template()).items.map((i: any) => i.key)).not.toContain('inv2');

    const notHeld = await t.call('POST', '/api/v1/template-changes', {
      headers: alice.auth,
      body: { template: { name: 'cc tcp', items: [tcp], triggers: [] }, change: { reason: 'no plugin', risk: 'low' } },
    });
    expect(notHeld.body.error?.code).toBe('CHANGE_NOT_HELD');
    expect((await t.call('GET', '/api/v1/template-changes/00000000-0000-4000-8000-000000000000', { headers: alice.auth })).body.error?.code).toBe(
      'TEMPLATE_CHANGE_NOT_FOUND',
    );
  });
});
