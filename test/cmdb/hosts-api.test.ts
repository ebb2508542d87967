/** Hosts and host groups end to end: tags with If-Match, static and rule-based groups resolved in one query. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupsOfHost, resolveTargets } from '../../server/cmdb/targets.js';
import { enrollAgent } from '../support/server.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';

describe('hosts and host groups', () => {
  let t: ApiServer;
  const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> =>
    t.call(method, path, { body, headers: { ...t.admin.auth, ...headers } });
  let db1: string;
  let web1: string;
  let sw1: string;

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    db1 = (await enrollAgent(t, 'db1.bj')).hostId;
    web1 = (await enrollAgent(t, 'web1.sh')).hostId;
    sw1 = (await as('POST', '/api/v1/hosts', { hostname: 'sw1.bj', tags: ['network'] })).body.data.id;
    await t.server.deps.db.query(`UPDATE agents SET os = 'Rocky Linux 9.3' WHERE host_id = $1`, [db1]);
    await t.server.deps.db.query(`UPDATE agents SET os = 'Debian GNU/Linux 12' WHERE host_id = $1`, [web1]);
    await as('POST', '/api/v1/asset-types', {
      name: 'db_server',
      label: 'DB server',
      fields_schema: { type: 'object', properties: { role: { type: 'string' } } },
    });
    await as('POST', '/api/v1/assets', {
      type: 'db_server',
      name: 'db1',
      host_id: db1,
      idc: 'bj1',
      tags: ['db'],
      custom: { role: 'primary' },
      business_unit: '支付',
    });
    await as('POST', '/api/v1/assets', { type: 'vm', name: 'web1', host_id: web1, idc: 'sh2', tags: ['web'] });
  });
  afterAll(() => t?.close());

  it('lists and searches hosts with their agent and asset; patches tags with If-Match', async () => {
    const all = (await as('GET', '/api/v1/hosts')).body.data;
    expect(all.map((h: any) => h.hostname)).toEqual(['db1.bj', 'sw1.bj', 'web1.sh']);
    expect(all[0]).toMatchObject({ os: 'Rocky Linux 9.3', agent_state: 'active', asset_tag: expect.stringMatching(/^AW-/) });
    expect(all[1]).toMatchObject({ agent_id: null, asset_id: null, tags: ['network'] });
    expect((await as('GET', '/api/v1/hosts?q=.BJ')).body.data.map((h: any) => h.hostname)).toEqual(['db1.bj', 'sw1.bj']);
    const h = await as('GET', `/api/v1/hosts/${web1}`);
    const p = await as('PATCH', `/api/v1/hosts/${web1}`, { tags: ['frontend', 'canary'] }, { 'if-match': h.headers.get('etag') });
    expect(p.body.data.tags).toEqual(['canary', 'frontend']);
    expect((await as('PATCH', `/api/v1/hosts/${web1}`, { tags: [] }, { 'if-match': h.headers.get('etag') })).status).toBe(412);
    expect((await as('GET', '/api/v1/hosts?tag=canary')).body.data.map((x: any) => x.id)).toEqual([web1]);
  });

  it('dynamic rules on any field resolve in the database; static members add to them', async () => {
    const group = async (name: string, rules: unknown[], host_ids: string[] = []) => {
      const r = await as('POST', '/api/v1/host-groups', { name, rules, host_ids });
      expect(r.status, JSON.stringify(r.body.error)).toBe(201);
      return r.body.data.id as string;
    };
    const members = async (id: string) => {
      const r = await as('GET', `/api/v1/hosts?group_id=${id}`);
      expect(r.status, JSON.stringify(r.body.error)).toBe(200);
      return r.body.data.map((h: any) => h.hostname);
    };
    expect(await members(await group('bj', [{ field: 'idc', op: 'eq', value: 'bj1' }]))).toEqual(['db1.bj']);
    expect(await members(await group('linux-rocky', [{ field: 'os', op: 'prefix', value: 'Rocky' }]))).toEqual(['db1.bj']);
    expect(
      await members(
        await group('primaries', [
          { field: 'asset.custom.role', op: 'eq', value: 'primary' },
          { field: 'type', op: 'in', value: ['db_server', 'server'] },
        ]),
      ),
    ).toEqual(['db1.bj']);
    expect(await members(await group('pay', [{ field: 'business_unit', op: 'eq', value: '支付' }]))).toEqual(['db1.bj']);
    expect(await members(await group('not-web', [{ field: 'tags', op: 'neq', value: 'web' }]))).toEqual(['db1.bj', 'sw1.bj']);
    expect(await members(await group('has-asset', [{ field: 'asset', op: 'exists' }]))).toEqual(['db1.bj', 'web1.sh']);
    expect(await members(await group('bj-contains', [{ field: 'hostname', op: 'contains', value: '.BJ' }]))).toEqual(['db1.bj', 'sw1.bj']);
    const mixed = await group('mixed', [{ field: 'asset.idc', op: 'eq', value: 'sh2' }], [sw1]);
    expect(await members(mixed)).toEqual(['sw1.bj', 'web1.sh']);
    expect(await members(await group('static-only', [], [db1]))).toEqual(['db1.bj']);

    const bad = await as('POST', '/api/v1/host-groups', { name: 'bad', rules: [{ field: 'asset.nope', op: 'eq', value: 'x' }] });
    expect(bad.status).toBe(400);
    expect((await as('POST', '/api/v1/host-groups', { name: 'bad2', rules: [{ field: 'idc', op: 'in', value: 'x' }] })).status).toBe(400);
    expect((await as('POST', '/api/v1/host-groups', { name: 'bad3', host_ids: ['3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10'] })).status).toBe(400);
    expect((await as('POST', '/api/v1/host-groups', { name: 'bj' })).body.error.code).toBe('HOST_GROUP_EXISTS');

    // A preview answers who a group would hold before it is saved, by the same rules
    const preview = await as('POST', '/api/v1/host-groups/preview', { rules: [{ field: 'asset.idc', op: 'eq', value: 'sh2' }], host_ids: [sw1] });
    expect(preview.body.data).toEqual({
      total: 2,
      hosts: [
        { id: sw1, hostname: 'sw1.bj' },
        { id: web1, hostname: 'web1.sh' },
      ],
    });
    expect((await as('POST', '/api/v1/host-groups/preview', { rules: [{ field: 'asset.nope', op: 'eq', value: 'x' }] })).status).toBe(400);
    expect((await as('POST', '/api/v1/host-groups/preview', {})).body.data).toEqual({ total: 0, hosts: [] });

    // resolveTargets: the union of hosts, groups and tags, each host once
    const ids = await resolveTargets(t.server.deps.db, { hostIds: [db1], groupIds: [mixed], tags: ['web'] });
    expect(ids).toEqual([db1, sw1, web1].sort());
    expect(await resolveTargets(t.server.deps.db, { tags: ['db'] })).toEqual([db1]);
    expect(await resolveTargets(t.server.deps.db, {})).toEqual([]);
    // and the reverse, for monitoring: the groups a host is in
    const idOf = new Map((await as('GET', '/api/v1/host-groups')).body.data.map((g: any) => [g.name, g.id]));
    expect(await groupsOfHost(t.server.deps.db, sw1)).toEqual([mixed, idOf.get('not-web'), idOf.get('bj-contains')].sort());
    expect(await groupsOfHost(t.server.deps.db, db1)).toEqual(
      ['bj', 'linux-rocky', 'primaries', 'pay', 'not-web', 'has-asset', 'bj-contains', 'static-only'].map((n) => idOf.get(n)).sort(),
    );
    expect((await as('POST', '/api/v1/hosts/resolve', { group_ids: [mixed] })).body.data.host_ids).toEqual([sw1, web1].sort());

    // a group follows its facts: move the asset and membership follows
    const g = await as('GET', `/api/v1/host-groups/${mixed}`);
    const upd = await as(
      'PATCH',
      `/api/v1/host-groups/${mixed}`,
      { rules: [{ field: 'idc', op: 'eq', value: 'bj1' }], host_ids: [] },
      { 'if-match': g.headers.get('etag') },
    );
    expect(upd.body.data).toMatchObject({ host_ids: [], version: 2 });
    expect(await members(mixed)).toEqual(['db1.bj']);
    expect((await as('DELETE', `/api/v1/host-groups/${mixed}`, undefined, { 'if-match': '"2"' })).status).toBe(200);
    expect((await as('GET', `/api/v1/host-groups/${mixed}`)).status).toBe(404);
  });
});
