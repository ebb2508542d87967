/**
 * The object change log end to end, over the API against real Postgres: each create, update and
 * delete of a CMDB or monitoring object leaves exactly one row with the object before and after, the
 * caller and the request's id; a refused write leaves none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollAgent } from '../support/server.js';
import { startApiServer, type Answer, type ApiServer } from '../api/api-client.js';

describe('object change log', () => {
  let t: ApiServer;
  const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    t.call(method, path, { body, headers: { ...t.admin.auth, ...headers } });
  const ifMatch = (a: Answer) => ({ 'if-match': a.headers.get('etag')! });
  /** Every row of the log for one object, oldest first (read straight from the table: what the API pages over). */
  const rowsOf = async (type: string, id: string) =>
    (await t.server.deps.db.query('SELECT * FROM object_changes WHERE object_type = $1 AND object_id = $2 ORDER BY id', [type, id])).rows;
  const total = async () => (await t.server.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM object_changes')).rows[0].n;
  /** One write must add exactly one row for the object, made by the admin in that request. */
  const oneRow = async (type: string, id: string, seen: number, answer: Answer) => {
    const rows = await rowsOf(type, id);
    expect(rows.length, `${type} ${id}: ${JSON.stringify(rows)}`).toBe(seen + 1);
    const row = rows[rows.length - 1];
    expect(row).toMatchObject({ actor_kind: 'user', actor_id: t.admin.id, request_id: answer.body.request_id });
    expect(answer.body.request_id).toMatch(/.+/);
    return row;
  };
  /** A refused write: its status, and not one row more anywhere. */
  const refused = async (status: number, write: () => Promise<Answer>) => {
    const before = await total();
    const r = await write();
    expect(r.status, JSON.stringify(r.body.error)).toBe(status);
    expect(await total()).toBe(before);
  };

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
  });
  afterAll(() => t?.close());

  it('hosts: made by hand or by an enrolling agent, then tagged and renamed', async () => {
    const made = await as('POST', '/api/v1/hosts', { hostname: 'sw1.bj', tags: ['network'] });
    const id = made.body.data.id;
    const created = await oneRow('host', id, 0, made);
    expect(created).toMatchObject({ action: 'create', before: null, after: { id, hostname: 'sw1.bj', tags: ['network'], description: '' } });
    const changed = await as('PATCH', `/api/v1/hosts/${id}`, { hostname: 'sw1.sh', tags: ['core', 'network'] }, ifMatch(made));
    expect(changed.status).toBe(200);
    const updated = await oneRow('host', id, 1, changed);
    expect(updated).toMatchObject({
      action: 'update',
      before: { hostname: 'sw1.bj', tags: ['network'] },
      after: { hostname: 'sw1.sh', tags: ['core', 'network'] },
    });
    await refused(412, () => as('PATCH', `/api/v1/hosts/${id}`, { tags: [] }, ifMatch(made)));

    const agent = await enrollAgent(t, 'db1.bj');
    const [enrolled] = await rowsOf('host', agent.hostId);
    expect(enrolled).toMatchObject({ action: 'create', actor_kind: 'agent', actor_id: agent.agentId, after: { hostname: 'db1.bj' } });
    expect(enrolled.request_id).toMatch(/.+/);
  });

  it('host groups: create, change, delete', async () => {
    const made = await as('POST', '/api/v1/host-groups', { name: 'bj', rules: [{ field: 'idc', op: 'eq', value: 'bj1' }] });
    const id = made.body.data.id;
    expect(await oneRow('host_group', id, 0, made)).toMatchObject({ action: 'create', before: null, after: { name: 'bj', host_ids: [] } });
    await refused(409, () => as('POST', '/api/v1/host-groups', { name: 'bj' }));
    const changed = await as('PATCH', `/api/v1/host-groups/${id}`, { name: 'beijing' }, ifMatch(made));
    expect(await oneRow('host_group', id, 1, changed)).toMatchObject({
      action: 'update',
      before: { name: 'bj' },
      after: { name: 'beijing', rules: [{ field: 'idc' }] },
    });
    await refused(412, () => as('DELETE', `/api/v1/host-groups/${id}`, undefined, ifMatch(made)));
    const gone = await as('DELETE', `/api/v1/host-groups/${id}`, undefined, ifMatch(changed));
    expect(gone.status).toBe(200);
    expect(await oneRow('host_group', id, 2, gone)).toMatchObject({ action: 'delete', before: { name: 'beijing' }, after: null });
  });

  it('asset types: create, change, delete; a built-in one cannot go', async () => {
    const made = await as('POST', '/api/v1/asset-types', { name: 'ups', label: 'UPS' });
    expect(await oneRow('asset_type', 'ups', 0, made)).toMatchObject({
      action: 'create',
      before: null,
      after: { name: 'ups', label: 'UPS', fields_schema: { type: 'object' } },
    });
    const changed = await as('PATCH', '/api/v1/asset-types/ups', { label: 'Power' }, ifMatch(made));
    expect(await oneRow('asset_type', 'ups', 1, changed)).toMatchObject({ action: 'update', before: { label: 'UPS' }, after: { label: 'Power' } });
    const gone = await as('DELETE', '/api/v1/asset-types/ups', undefined, ifMatch(changed));
    expect(await oneRow('asset_type', 'ups', 2, gone)).toMatchObject({ action: 'delete', before: { label: 'Power' }, after: null });
    const server = await as('GET', '/api/v1/asset-types/server');
    await refused(409, () => as('DELETE', '/api/v1/asset-types/server', undefined, ifMatch(server)));
  });

  it('assets: each write is one change, its field rows (the asset API) name it', async () => {
    const made = await as('POST', '/api/v1/assets', { type: 'server', name: 'db1', idc: 'bj1' });
    const id = made.body.data.id;
    const created = await oneRow('asset', id, 0, made);
    expect(created).toMatchObject({ action: 'create', before: null, after: { name: 'db1', idc: 'bj1', state: 'procured', tag: made.body.data.tag } });
    await refused(400, () => as('PATCH', `/api/v1/assets/${id}`, { type: 'no_such_type' }, ifMatch(made)));
    const changed = await as('PATCH', `/api/v1/assets/${id}`, { idc: 'sh2', rack: 'A1' }, ifMatch(made));
    expect(await oneRow('asset', id, 1, changed)).toMatchObject({ action: 'update', before: { idc: 'bj1', rack: null }, after: { idc: 'sh2', rack: 'A1' } });
    const gone = await as('DELETE', `/api/v1/assets/${id}`, undefined, ifMatch(changed));
    const deleted = await oneRow('asset', id, 2, gone);
    expect(deleted).toMatchObject({ action: 'delete', before: { idc: 'sh2', rack: 'A1' }, after: null });

    // The asset's own change API answers field by field as before, each row tied to its object change.
    const fields = (await as('GET', `/api/v1/assets/${id}/changes`)).body.data;
    expect(fields.filter((c: any) => c.action === 'update').map((c: any) => [c.field, c.old_value, c.new_value])).toEqual([
      ['idc', 'bj1', 'sh2'],
      ['rack', null, 'A1'],
    ]);
    expect(fields[0]).not.toHaveProperty('change_id');
    const links = (await t.server.deps.db.query('SELECT DISTINCT change_id FROM asset_changes WHERE asset_id = $1 ORDER BY change_id', [id])).rows.map(
      (r) => r.change_id,
    );
    expect(links).toEqual((await rowsOf('asset', id)).map((r) => r.id));
  });

  it('templates: the template, each item and each trigger are objects of their own; links change the template', async () => {
    const body = {
      name: 'ssh',
      items: [{ key: 'ssh', type: 'tcp', params: { host: '127.0.0.1', port: 22 }, interval_s: 30 }],
      triggers: [{ key: 'ssh_down', name: 'SSH down', severity: 'high', expression: 'last(ssh.status) >= 2' }],
    };
    const made = await as('POST', '/api/v1/templates', body);
    const id = made.body.data.id;
    expect(await oneRow('template', id, 0, made)).toMatchObject({ action: 'create', before: null, after: { name: 'ssh', includes: [], host_ids: [] } });
    expect(await oneRow('template_item', `${id}:ssh`, 0, made)).toMatchObject({ action: 'create', after: { key: 'ssh', interval_s: 30 } });
    expect(await oneRow('trigger', `${id}:ssh_down`, 0, made)).toMatchObject({ action: 'create', after: { severity: 'high' } });
    await refused(409, () => as('POST', '/api/v1/templates', body));

    // Only the item changes: one item row, nothing for the template or its trigger.
    const itemChanged = await as('PUT', `/api/v1/templates/${id}`, { ...body, items: [{ ...body.items[0], interval_s: 60 }] }, ifMatch(made));
    expect(itemChanged.status, JSON.stringify(itemChanged.body.error)).toBe(200);
    expect(await oneRow('template_item', `${id}:ssh`, 1, itemChanged)).toMatchObject({
      action: 'update',
      before: { interval_s: 30 },
      after: { interval_s: 60 },
    });
    expect(await rowsOf('template', id)).toHaveLength(1);
    expect(await rowsOf('trigger', `${id}:ssh_down`)).toHaveLength(1);
    await refused(412, () => as('PUT', `/api/v1/templates/${id}`, { ...body, name: 'x' }, ifMatch(made)));

    const renamed = await as(
      'PUT',
      `/api/v1/templates/${id}`,
      { ...body, name: 'ssh-port', items: itemChanged.body.data.items, triggers: [] },
      ifMatch(itemChanged),
    );
    expect(await oneRow('template', id, 1, renamed)).toMatchObject({ action: 'update', before: { name: 'ssh' }, after: { name: 'ssh-port' } });
    expect(await oneRow('trigger', `${id}:ssh_down`, 1, renamed)).toMatchObject({ action: 'delete', before: { key: 'ssh_down' }, after: null });

    const host = (await as('POST', '/api/v1/hosts', { hostname: 'web1' })).body.data.id;
    const linked = await as('PUT', `/api/v1/templates/${id}/hosts/${host}`);
    expect(await oneRow('template', id, 2, linked)).toMatchObject({ action: 'update', before: { host_ids: [] }, after: { host_ids: [host] } });
    await refused(404, () => as('DELETE', `/api/v1/templates/${id}/hosts/${crypto.randomUUID()}`));
    const unlinked = await as('DELETE', `/api/v1/templates/${id}/hosts/${host}`);
    expect(await oneRow('template', id, 3, unlinked)).toMatchObject({ before: { host_ids: [host] }, after: { host_ids: [] } });

    const gone = await as('DELETE', `/api/v1/templates/${id}`);
    expect(await oneRow('template', id, 4, gone)).toMatchObject({ action: 'delete', before: { name: 'ssh-port' }, after: null });
    expect(await oneRow('template_item', `${id}:ssh`, 2, gone)).toMatchObject({ action: 'delete', after: null });
  });

  it('notification channels: create, change, delete, and the secret never in the log', async () => {
    const made = await as('POST', '/api/v1/notification-channels', { name: 'ops', kind: 'webhook', settings: { url: 'https://hooks.example.com/ops' } });
    expect(made.status, JSON.stringify(made.body.error)).toBe(201);
    const id = made.body.data.channel.id;
    const secret = made.body.data.secret;
    expect(await oneRow('notification_channel', id, 0, made)).toMatchObject({ action: 'create', before: null, after: { name: 'ops', enabled: true } });
    const changed = await as('PATCH', `/api/v1/notification-channels/${id}`, { enabled: false, secret: 'a-new-secret-of-enough-length' }, ifMatch(made));
    expect(changed.status, JSON.stringify(changed.body.error)).toBe(200);
    expect(await oneRow('notification_channel', id, 1, changed)).toMatchObject({ action: 'update', before: { enabled: true }, after: { enabled: false } });
    await refused(412, () => as('PATCH', `/api/v1/notification-channels/${id}`, { enabled: true }, ifMatch(made)));
    const gone = await as('DELETE', `/api/v1/notification-channels/${id}`);
    expect(await oneRow('notification_channel', id, 2, gone)).toMatchObject({ action: 'delete', after: null });
    const logged = JSON.stringify(await rowsOf('notification_channel', id));
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain('a-new-secret-of-enough-length');
    expect(logged).not.toContain('"secret"');
  });

  it('maintenance windows and task policies: create and delete', async () => {
    const host = (await as('POST', '/api/v1/hosts', { hostname: 'db2' })).body.data.id;
    const made = await as('POST', '/api/v1/maintenance-windows', {
      name: 'patching',
      host_id: host,
      starts_at: new Date().toISOString(),
      ends_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    const id = made.body.data.id;
    expect(await oneRow('maintenance_window', id, 0, made)).toMatchObject({ action: 'create', before: null, after: { name: 'patching', host_id: host } });
    const gone = await as('DELETE', `/api/v1/maintenance-windows/${id}`);
    expect(await oneRow('maintenance_window', id, 1, gone)).toMatchObject({ action: 'delete', before: { name: 'patching' }, after: null });
    await refused(404, () => as('DELETE', `/api/v1/maintenance-windows/${id}`));

    const policy = await as('POST', '/api/v1/task-policies', { name: 'prod', host_ids: [host] });
    const pid = policy.body.data.id;
    expect(await oneRow('task_policy', pid, 0, policy)).toMatchObject({ action: 'create', before: null, after: { name: 'prod', host_ids: [host] } });
    const dropped = await as('DELETE', `/api/v1/task-policies/${pid}`);
    expect(dropped.status).toBe(204);
    expect(await rowsOf('task_policy', pid)).toMatchObject([
      { action: 'create' },
      { action: 'delete', before: { name: 'prod' }, after: null, actor_id: t.admin.id },
    ]);
    await refused(400, () => as('POST', '/api/v1/task-policies', { name: 'nowhere', host_ids: [crypto.randomUUID()] }));
  });

  it('GET /api/v1/object-changes/<type> pages by id under the read scope of its objects', async () => {
    const made = await as('POST', '/api/v1/hosts', { hostname: 'paged' });
    let etag = ifMatch(made);
    for (const tag of ['a', 'b', 'c']) etag = ifMatch(await as('PATCH', `/api/v1/hosts/${made.body.data.id}`, { tags: [tag] }, etag));
    const url = `/api/v1/object-changes/host?object_id=${made.body.data.id}&limit=3`;
    const first = await as('GET', url);
    expect(first.status).toBe(200);
    expect(first.body.data.map((c: any) => c.action)).toEqual(['create', 'update', 'update']);
    expect(first.body.data[0]).toMatchObject({ object_type: 'host', object_id: made.body.data.id, actor_kind: 'user', at: expect.any(String) });
    const second = await as('GET', `${url}&cursor=${first.body.meta.next_cursor}`);
    expect(second.body.data.map((c: any) => c.after.tags)).toEqual([['c']]);
    expect(second.body.meta.next_cursor).toBeNull();
    const newest = await as('GET', `/api/v1/object-changes/host?object_id=${made.body.data.id}&order=desc&limit=1`);
    expect(newest.body.data[0].after.tags).toEqual(['c']);

    const cmdbOnly = await as('POST', '/api/v1/api-keys', { name: 'cmdb reader', scopes: ['cmdb:read'] });
    const key = { authorization: `Bearer ${cmdbOnly.body.data.bearer}` };
    expect((await t.call('GET', '/api/v1/object-changes/asset', { headers: key })).status).toBe(200);
    const denied = await t.call('GET', '/api/v1/object-changes/host', { headers: key });
    expect(denied.status).toBe(403);
    expect((await t.call('GET', '/api/v1/object-changes/template')).status).toBe(401);
  });
});
