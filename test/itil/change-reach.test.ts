/**
 * Change management reaches every action a change may name, against a real server and Postgres:
 * with policies requiring an approved change, asset registration, transitions, replacements and
 * component edits, making and deleting templates, held template changes (/api/v1/template-changes)
 * and agent upgrades are refused without one (APPROVED_CHANGE_REQUIRED) and admitted under one of
 * their kind, which lists them as its implementation with what each did; the asset lists the changes
 * that touched it. An edit whose link cannot be written does not happen. (Release rollouts under a
 * change run on real agents: test/itil/releases.test.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

const hour = 3_600_000;
const plugin = { key: 'load', type: 'plugin', interval_s: 60, command: 'check_load', args: ['-w', '5', '-c', '10'] };

describe('change management reaches assets, held template changes and agent upgrades', () => {
  let t: ApiServer;
  let alice: { auth: Record<string, string> };
  let bob: { auth: Record<string, string> };
  let hostId = '';
  let otherHost = '';
  let assetId = '';

  /** A change requested by alice and approved by bob, its window around now. */
  const approvedChange = async (kinds: string[], extra: Record<string, unknown> = {}) => {
    const c = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: `${kinds.join('+')} work`,
        kinds,
        reason: 'planned work',
        risk: 'low',
        window_start: new Date(Date.now() - hour).toISOString(),
        window_end: new Date(Date.now() + hour).toISOString(),
        ...extra,
      },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect((await t.call('POST', `/api/v1/changes/${c.body.data.id}/approve`, { headers: bob.auth, body: {} })).body.data.change.state).toBe('approved');
    return c.body.data.id as string;
  };
  const links = async (changeId: string) =>
    (await t.call('GET', `/api/v1/changes/${changeId}`, { headers: t.admin.auth })).body.data.links.map((l: any) => [l.kind, l.object_id, l.note]);

  beforeAll(async () => {
    // An agent bundle to upgrade to: only its version line and hash matter here (no agent runs it).
    const bundle = join(mkdtempSync(join(tmpdir(), 'aw-bundle-')), 'autowatch-agent.mjs');
    writeFileSync(bundle, '// autowatch-agent 9.9.9\nexport {};\n');
    t = await startApiServer({ AW_AGENT_BUNDLE: bundle });
    alice = await t.userSession('admin', 'alice');
    bob = await t.userSession('admin', 'bob');
    hostId = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'db1' } })).body.data.id;
    otherHost = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'db2' } })).body.data.id;
    assetId = (await t.call('POST', '/api/v1/assets', { headers: t.admin.auth, body: { type: 'server', name: 'db1-chassis', state: 'online' } })).body.data.id;
  });
  afterAll(() => t?.close());

  it('asset transitions, replacements and component edits need the approved change a policy requires, and are linked to it', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'cmdb', require_change: ['asset'] } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const move = (headers: Record<string, string> = {}) =>
      t.call('POST', `/api/v1/assets/${assetId}/transitions`, { headers: { ...alice.auth, ...headers }, body: { to: 'maintenance', reason: 'PSU swap' } });
    const refused = await move();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: ['cmdb'] } });
    expect((await t.call('GET', `/api/v1/assets/${assetId}`, { headers: t.admin.auth })).body.data.state).toBe('online');

    // A change for tasks only does not cover an asset edit.
    const tasksOnly = await approvedChange(['task']);
    expect((await move({ 'x-change-id': tasksOnly })).body.error?.code).toBe('CHANGE_NOT_USABLE');

    const changeId = await approvedChange(['asset'], { asset_ids: [assetId] });
    const moved = await move({ 'x-change-id': changeId });
    expect(moved.status, JSON.stringify(moved.body)).toBe(201);
    expect(moved.body.data.state).toBe('maintenance');

    const component = { kind: 'psu', slot: 'PSU2', attrs: { watts: 800 } };
    expect((await t.call('POST', `/api/v1/assets/${assetId}/components`, { headers: alice.auth, body: component })).body.error?.code).toBe(
      'APPROVED_CHANGE_REQUIRED',
    );
    const added = await t.call('POST', `/api/v1/assets/${assetId}/components`, { headers: { ...alice.auth, 'x-change-id': changeId }, body: component });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const replace = (headers: Record<string, string>) =>
      t.call('PUT', `/api/v1/assets/${assetId}`, {
        headers: { ...alice.auth, 'if-match': '*', ...headers },
        body: { type: 'server', name: 'db1-chassis', notes: 'PSU2 replaced' },
      });
    expect((await replace({})).body.error?.code).toBe('APPROVED_CHANGE_REQUIRED');
    expect((await replace({ 'x-change-id': changeId })).status).toBe(200);

    expect(await links(changeId)).toEqual([
      ['asset', assetId, 'transition online -> maintenance'],
      ['asset', assetId, 'added psu PSU2'],
      ['asset', assetId, 'replaced'],
    ]);
    const onAsset = await t.call('GET', `/api/v1/assets/${assetId}/change-requests`, { headers: t.admin.auth });
    expect(onAsset.body.data.map((c: any) => c.id)).toEqual([changeId]);
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });

  it('registering an asset needs the approved change a policy requires, and is linked to it', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'cmdb-new', require_change: ['asset'] } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const register = (headers: Record<string, string> = {}) =>
      t.call('POST', '/api/v1/assets', { headers: { ...alice.auth, ...headers }, body: { type: 'server', name: 'db3-chassis' } });
    const refused = await register();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: ['cmdb-new'] } });
    expect((await t.call('GET', '/api/v1/assets?q=db3-chassis', { headers: t.admin.auth })).body.data).toEqual([]);
    expect((await register({ 'x-change-id': await approvedChange(['template']) })).body.error?.code).toBe('CHANGE_NOT_USABLE');

    const changeId = await approvedChange(['asset']);
    const made = await register({ 'x-change-id': changeId });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(await links(changeId)).toEqual([['asset', made.body.data.id, `registered ${made.body.data.tag}`]]);
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });

  it('an asset CSV import needs the approved change a policy requires, and links every asset it made or changed', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'cmdb-import', require_change: ['asset'] } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const csv = 'type,name\nserver,csv-chassis-1\nserver,csv-chassis-2\n';
    const importCsv = (query = '', headers: Record<string, string> = {}) =>
      t.call('POST', `/api/v1/assets/import${query}`, { raw: csv, headers: { ...alice.auth, 'content-type': 'text/csv', ...headers } });
    // A dry run writes nothing, so it needs no change.
    expect((await importCsv('?dry_run=true')).status).toBe(200);
    const refused = await importCsv();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: ['cmdb-import'] } });
    expect((await t.call('GET', '/api/v1/assets?q=csv-chassis', { headers: t.admin.auth })).body.data).toEqual([]);

    const changeId = await approvedChange(['asset']);
    const done = await importCsv('', { 'x-change-id': changeId });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.data.created).toBe(2);
    expect(await links(changeId)).toEqual(done.body.data.ids.map((id: string) => ['asset', id, 'imported from CSV']));
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });

  it('making and deleting a template need the approved change a policy requires, and are linked to it', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'tpl', require_change: ['template'] } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const make = (headers: Record<string, string> = {}) =>
      t.call('POST', '/api/v1/templates', { headers: { ...alice.auth, ...headers }, body: { name: 'web base', items: [], triggers: [] } });
    const refused = await make();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: ['tpl'] } });
    const names = async () => (await t.call('GET', '/api/v1/templates', { headers: t.admin.auth })).body.data.map((x: any) => x.name);
    expect(await names()).not.toContain('web base');

    const changeId = await approvedChange(['template']);
    const made = await make({ 'x-change-id': changeId });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const remove = (headers: Record<string, string> = {}) =>
      t.call('DELETE', `/api/v1/templates/${made.body.data.id}`, { headers: { ...alice.auth, ...headers } });
    expect((await remove()).body.error?.code).toBe('APPROVED_CHANGE_REQUIRED');
    expect(await names()).toContain('web base');
    expect((await remove({ 'x-change-id': await approvedChange(['asset']) })).body.error?.code).toBe('CHANGE_NOT_USABLE');
    expect((await remove({ 'x-change-id': changeId })).status).toBe(200);
    expect(await names()).not.toContain('web base');
    expect(await links(changeId)).toEqual([
      ['template', made.body.data.id, 'web base: created'],
      ['template', made.body.data.id, 'web base: deleted'],
    ]);
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });

  it('an edit under a change whose link cannot be written does not happen: the link is part of its transaction', async () => {
    // A link insert cannot fail from outside (a change is never deleted), so this suite's own database
    // refuses every link while the trigger is there: each edit must then roll back with its link.
    const db = t.server.deps.db;
    let holdPolicy = '';
    await db.exec(`CREATE FUNCTION refuse_link() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'link refused by the test'; END $$;
      CREATE TRIGGER refuse_link BEFORE INSERT ON itil_change_links FOR EACH ROW EXECUTE FUNCTION refuse_link();`);
    try {
      const assetChange = await approvedChange(['asset']);
      const templateChange = await approvedChange(['template']);
      const under = (changeId: string) => ({ ...alice.auth, 'x-change-id': changeId });
      const before = (await t.call('GET', `/api/v1/assets/${assetId}`, { headers: t.admin.auth })).body.data;

      const patched = await t.call('PATCH', `/api/v1/assets/${assetId}`, {
        headers: { ...under(assetChange), 'if-match': `"${before.version}"` },
        body: { notes: 'never saved' },
      });
      expect(patched.status).toBe(500);
      const moved = await t.call('POST', `/api/v1/assets/${assetId}/transitions`, {
        headers: under(assetChange),
        body: { to: 'retired', reason: 'never moved' },
      });
      expect(moved.status).toBe(500);
      const after = (await t.call('GET', `/api/v1/assets/${assetId}`, { headers: t.admin.auth })).body.data;
      expect({ version: after.version, notes: after.notes, state: after.state }).toEqual({ version: before.version, notes: before.notes, state: before.state });
      expect((await t.call('POST', '/api/v1/assets', { headers: under(assetChange), body: { type: 'server', name: 'never-registered' } })).status).toBe(500);
      expect((await t.call('GET', '/api/v1/assets?q=never-registered', { headers: t.admin.auth })).body.data).toEqual([]);

      expect(
        (await t.call('POST', '/api/v1/templates', { headers: under(templateChange), body: { name: 'never made', items: [], triggers: [] } })).status,
      ).toBe(500);
      const tpl = (await t.call('POST', '/api/v1/templates', { headers: alice.auth, body: { name: 'kept as is', items: [], triggers: [] } })).body.data;
      const edited = await t.call('PUT', `/api/v1/templates/${tpl.id}`, {
        headers: { ...under(templateChange), 'if-match': `"${tpl.version}"` },
        body: { name: 'renamed', items: [], triggers: [] },
      });
      expect(edited.status).toBe(500);
      expect((await t.call('GET', `/api/v1/templates/${tpl.id}`, { headers: t.admin.auth })).body.data).toMatchObject({
        name: 'kept as is',
        version: tpl.version,
      });
      const names = (await t.call('GET', '/api/v1/templates', { headers: t.admin.auth })).body.data.map((x: any) => x.name);
      expect(names).not.toContain('never made');
      // A held template change applied under the change: the template's write carries the link too.
      const hold = await t.call('POST', '/api/v1/task-policies', { headers: t.admin.auth, body: { name: 'held', template_plugin_items: true } });
      expect(hold.status, JSON.stringify(hold.body)).toBe(201);
      holdPolicy = hold.body.data.id;
      const held = await t.call('POST', '/api/v1/template-changes', {
        headers: under(templateChange),
        body: {
          template_id: tpl.id,
          version: tpl.version,
          template: { name: 'kept as is', items: [plugin], triggers: [] },
          change: { reason: 'load check', risk: 'low' },
        },
      });
      expect(held.status).toBe(500);
      expect((await t.call('GET', `/api/v1/templates/${tpl.id}`, { headers: t.admin.auth })).body.data).toMatchObject({ items: [], version: tpl.version });
      expect([...(await links(assetChange)), ...(await links(templateChange))]).toEqual([]);
    } finally {
      await db.exec('DROP TRIGGER refuse_link ON itil_change_links; DROP FUNCTION refuse_link();');
      if (holdPolicy) await t.call('DELETE', `/api/v1/task-policies/${holdPolicy}`, { headers: t.admin.auth });
    }
  });

  it('a held template change is refused without the approved change a policy requires, and applied at once under one', async () => {
    const made = await t.call('POST', '/api/v1/templates', { headers: alice.auth, body: { name: 'db base', items: [], triggers: [] } });
    expect(made.status).toBe(201);
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'templates', template_plugin_items: true, require_change: ['template'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const ask = (headers: Record<string, string> = {}) =>
      t.call('POST', '/api/v1/template-changes', {
        headers: { ...alice.auth, ...headers },
        body: {
          template_id: made.body.data.id,
          version: made.body.data.version,
          template: { name: 'db base', items: [plugin], triggers: [] },
          change: { reason: 'load check', risk: 'low' },
        },
      });
    const refused = await ask();
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('APPROVED_CHANGE_REQUIRED');
    expect((await t.call('GET', '/api/v1/template-changes', { headers: t.admin.auth })).body.data).toEqual([]);

    const changeId = await approvedChange(['template']);
    const applied = await ask({ 'x-change-id': changeId });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body.data).toMatchObject({
      state: 'approved',
      decided_by: `change:${changeId}`,
      change_id: changeId,
      template: { version: made.body.data.version + 1 },
    });
    const tpl = (await t.call('GET', `/api/v1/templates/${made.body.data.id}`, { headers: t.admin.auth })).body.data;
    expect(tpl.items.map((i: any) => i.key)).toEqual(['load']);
    expect((await t.call('GET', '/api/v1/template-changes', { headers: t.admin.auth })).body.data).toEqual([]); // nothing left waiting
    expect(await links(changeId)).toEqual([['template', made.body.data.id, `db base: plugin items (template change ${applied.body.data.id})`]]);
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });

  it('agent upgrades on hosts whose policy requires it need an approved change for agent upgrades, and are linked to it', async () => {
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'fleet', host_ids: [hostId], require_change: ['agent_upgrade'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const upgrade = (host: string, extra: Record<string, unknown> = {}) =>
      t.call('POST', '/api/v1/tasks', { headers: alice.auth, body: { action: { kind: 'agent-upgrade' }, targets: { host_ids: [host] }, ...extra } });
    const refused = await upgrade(hostId);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: [policy.body.data.id] } });
    expect(refused.body.error!.message).toContain('agent upgrades');

    const tasksOnly = await approvedChange(['task']);
    expect((await upgrade(hostId, { change_id: tasksOnly })).body.error?.code).toBe('CHANGE_NOT_USABLE');
    const changeId = await approvedChange(['agent_upgrade'], { host_ids: [hostId] });
    expect((await upgrade(otherHost, { change_id: changeId })).body.error?.code).toBe('CHANGE_NOT_USABLE');
    const under = await upgrade(hostId, { change_id: changeId });
    expect(under.status, JSON.stringify(under.body)).toBe(201);
    expect(under.body.data).toMatchObject({ state: 'running', action: { kind: 'agent-upgrade', version: '9.9.9' } });
    expect(await links(changeId)).toEqual([['agent_upgrade', under.body.data.id, expect.stringContaining('9.9.9')]]);
  });
});
