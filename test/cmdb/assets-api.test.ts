/**
 * The asset API end to end on a real server and database (PGlite, or Postgres with DATABASE_URL):
 * If-Match under concurrency, immutable ids, the state machine, the append-only change log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

describe('assets API', () => {
  let t: ApiServer;
  const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> =>
    t.call(method, path, { body, headers: { ...t.admin.auth, ...headers } });

  beforeAll(async () => {
    t = await startApiServer();
  });
  afterAll(() => t?.close());

  it('creates an asset with an id and a tag, answers its ETag and records the create', async () => {
    const r = await as('POST', '/api/v1/assets', { type: 'server', name: 'db01', serial: 'S-1', tags: ['prod', 'db', 'prod'], idc: 'bj1' });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ tag: expect.stringMatching(/^AW-\d{6}$/), state: 'procured', tags: ['db', 'prod'], version: 1 });
    expect(r.headers.get('etag')).toBe('"1"');
    const changes = await as('GET', `/api/v1/assets/${r.body.data.id}/changes`);
    expect(changes.body.data.map((c: any) => c.field)).toEqual(['tag', 'state', 'type', 'name', 'serial', 'idc', 'tags']);
    expect(changes.body.data[0]).toMatchObject({ action: 'create', actor_kind: 'user', actor_id: t.admin.id, source: 'manual', request_id: r.body.request_id });
  });

  it('20 concurrent updates with one ETag: exactly one applies, 19 get 412, nothing is lost', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'race' })).body.data;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => as('PATCH', `/api/v1/assets/${a.id}`, { notes: `writer-${i}` }, { 'if-match': '"1"' })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const winner = answers.find((r) => r.status === 200)!.body.data.notes;
    const changes = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data.filter((c: any) => c.field === 'notes');
    expect(changes.map((c: any) => c.new_value)).toEqual([winner]);
  });

  it('20 concurrent writers that re-read on 412 all land, each with its own change record', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'race2' })).body.data;
    const writer = async (i: number) => {
      for (;;) {
        const cur = await as('GET', `/api/v1/assets/${a.id}`);
        const r = await as('PATCH', `/api/v1/assets/${a.id}`, { notes: `writer-${i}` }, { 'if-match': cur.headers.get('etag')! });
        if (r.status === 200) return r.body.data.version as number;
        expect(r.status).toBe(412);
        expect(r.body.error.code).toBe('PRECONDITION_FAILED');
      }
    };
    const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => writer(i)));
    expect(new Set(versions).size).toBe(20);
    const final = (await as('GET', `/api/v1/assets/${a.id}`)).body.data;
    expect(final.version).toBe(21);
    const notes = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data.filter((c: any) => c.field === 'notes');
    expect(notes.map((c: any) => c.new_value).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `writer-${i}`).sort());
    // each record's old value is the value the one before it wrote: a chain with no gap
    for (let i = 1; i < notes.length; i++) expect(notes[i].old_value).toBe(notes[i - 1].new_value);
  });

  it('an asset renamed, re-serialed and moved keeps its id and tag; the timeline shows each change', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'web01', serial: 'OLD', idc: 'bj1', rack: 'A1', rack_unit: 10 })).body.data;
    const r1 = await as('PATCH', `/api/v1/assets/${a.id}`, { name: 'web01-new' }, { 'if-match': '"1"' });
    const r2 = await as('PATCH', `/api/v1/assets/${a.id}`, { serial: 'NEW' }, { 'if-match': r1.headers.get('etag')! });
    const r3 = await as('PATCH', `/api/v1/assets/${a.id}`, { idc: 'sh2', rack: 'C7', rack_unit: 33 }, { 'if-match': r2.headers.get('etag')! });
    expect(r3.status).toBe(200);
    expect(r3.body.data).toMatchObject({ id: a.id, tag: a.tag, name: 'web01-new', serial: 'NEW', idc: 'sh2', rack: 'C7', rack_unit: 33, version: 4 });
    const updates = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data.filter((c: any) => c.action === 'update');
    expect(updates.map((c: any) => [c.field, c.old_value, c.new_value])).toEqual([
      ['name', 'web01', 'web01-new'],
      ['serial', 'OLD', 'NEW'],
      ['idc', 'bj1', 'sh2'],
      ['rack', 'A1', 'C7'],
      ['rack_unit', 10, 33],
    ]);
    // the database itself refuses to change an id or tag
    await expect(t.server.deps.db.query(`UPDATE assets SET tag = 'AW-999999' WHERE id = $1`, [a.id])).rejects.toThrow(/never change/);
  });

  it('needs If-Match on PUT, PATCH and DELETE; PUT empties what it leaves out', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'put01', vendor: 'Dell', idc: 'x' })).body.data;
    expect((await as('PATCH', `/api/v1/assets/${a.id}`, { name: 'n' })).status).toBe(428);
    expect((await as('DELETE', `/api/v1/assets/${a.id}`)).status).toBe(428);
    const put = await as('PUT', `/api/v1/assets/${a.id}`, { type: 'server', name: 'put01', vendor: 'HPE' }, { 'if-match': '"1"' });
    expect(put.body.data).toMatchObject({ vendor: 'HPE', idc: null, version: 2 });
    const same = await as('PATCH', `/api/v1/assets/${a.id}`, { vendor: 'HPE' }, { 'if-match': '"2"' });
    expect(same.body.data.version).toBe(2);
  });

  it('moves along the state machine, refuses forbidden transitions with 409, records actor and reason', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'sm01' })).body.data;
    const bad = await as('POST', `/api/v1/assets/${a.id}/transitions`, { to: 'online', reason: 'skip' });
    expect(bad.status).toBe(409);
    expect(bad.body.error).toMatchObject({ code: 'ASSET_TRANSITION_FORBIDDEN', details: { from: 'procured', to: 'online', allowed: ['in_stock', 'retired'] } });
    for (const to of ['in_stock', 'online', 'maintenance', 'online', 'offline', 'retired', 'disposed']) {
      const r = await as('POST', `/api/v1/assets/${a.id}/transitions`, { to, reason: `to ${to}` });
      expect(r.status, to).toBe(201);
    }
    expect((await as('POST', `/api/v1/assets/${a.id}/transitions`, { to: 'in_stock', reason: 'undo' })).body.error.code).toBe('ASSET_TRANSITION_FORBIDDEN');
    const tr = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data.filter((c: any) => c.action === 'transition');
    expect(tr.map((c: any) => `${c.old_value}>${c.new_value}:${c.reason}`)).toEqual([
      'procured>in_stock:to in_stock',
      'in_stock>online:to online',
      'online>maintenance:to maintenance',
      'maintenance>online:to online',
      'online>offline:to offline',
      'offline>retired:to retired',
      'retired>disposed:to disposed',
    ]);
    expect(tr.every((c: any) => c.actor_id === t.admin.id)).toBe(true);
    const stale = await as('POST', `/api/v1/assets/${a.id}/transitions`, { to: 'in_stock', reason: 'x' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
  });

  it('a deleted asset answers 410, its history stays readable and its tag is never reused', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'gone01', serial: 'G1' })).body.data;
    const del = await as('DELETE', `/api/v1/assets/${a.id}`, undefined, { 'if-match': '"1"' });
    expect(del.status).toBe(200);
    expect((await as('GET', `/api/v1/assets/${a.id}`)).status).toBe(410);
    expect((await as('PATCH', `/api/v1/assets/${a.id}`, { name: 'x' }, { 'if-match': '*' })).status).toBe(410);
    const history = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data;
    expect(history.filter((c: any) => c.action === 'create').length).toBeGreaterThan(0);
    expect(history.filter((c: any) => c.action === 'delete').map((c: any) => [c.field, c.old_value])).toEqual(
      expect.arrayContaining([
        ['name', 'gone01'],
        ['serial', 'G1'],
        ['state', 'procured'],
      ]),
    );
    const next = (await as('POST', '/api/v1/assets', { type: 'server', name: 'after' })).body.data;
    expect(Number(next.tag.slice(3))).toBeGreaterThan(Number(a.tag.slice(3)));
    expect((await as('GET', '/api/v1/assets?q=gone01')).body.data).toEqual([]);
  });

  it('the change log is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const db = t.server.deps.db;
    await expect(db.query(`UPDATE asset_changes SET field = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM asset_changes`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE asset_changes`)).rejects.toThrow(/append-only/);
  });

  it('checks custom fields against an admin-defined type', async () => {
    const schema = {
      type: 'object',
      properties: { ports: { type: 'integer', minimum: 1 }, firmware: { type: 'string' } },
      required: ['ports'],
      additionalProperties: false,
    };
    expect((await as('POST', '/api/v1/asset-types', { name: 'ups', label: 'UPS', fields_schema: { type: 'string' } })).body.error.code).toBe(
      'FIELDS_SCHEMA_INVALID',
    );
    expect((await as('POST', '/api/v1/asset-types', { name: 'switch_l3', label: 'L3 switch', fields_schema: schema })).status).toBe(201);
    const bad = await as('POST', '/api/v1/assets', { type: 'switch_l3', name: 'sw1', custom: { ports: 0, extra: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('CUSTOM_FIELDS_INVALID');
    expect(bad.body.error.details.errors).toHaveLength(2);
    expect((await as('POST', '/api/v1/assets', { type: 'nope', name: 'x' })).body.error.code).toBe('ASSET_TYPE_UNKNOWN');
    const ok = await as('POST', '/api/v1/assets', { type: 'switch_l3', name: 'sw1', custom: { ports: 48 } });
    expect(ok.status).toBe(201);
    const patch = await as('PATCH', `/api/v1/assets/${ok.body.data.id}`, { custom: { ports: 'many' } }, { 'if-match': '"1"' });
    expect(patch.body.error.code).toBe('CUSTOM_FIELDS_INVALID');
    const typeNow = await as('GET', '/api/v1/asset-types/switch_l3');
    expect((await as('DELETE', '/api/v1/asset-types/switch_l3', undefined, { 'if-match': typeNow.headers.get('etag')! })).body.error.code).toBe(
      'ASSET_TYPE_IN_USE',
    );
    expect((await as('POST', '/api/v1/asset-types', { name: 'ups', label: 'UPS' }, {})).status).toBe(201);
    const viewer = await t.userSession('viewer');
    expect((await t.call('POST', '/api/v1/asset-types', { body: { name: 'x2', label: 'x' }, headers: viewer.auth })).status).toBe(403);
  });

  it('components: add, list, remove, each recorded and bumping the asset version', async () => {
    const a = (await as('POST', '/api/v1/assets', { type: 'server', name: 'comp01' })).body.data;
    const nic = await as('POST', `/api/v1/assets/${a.id}/components`, { kind: 'nic', slot: 'eth0', attrs: { mac: '52:54:00:aa:bb:cc', ips: ['10.9.8.7/24'] } });
    expect(nic.status).toBe(201);
    expect((await as('POST', `/api/v1/assets/${a.id}/components`, { kind: 'nic', slot: 'eth0', attrs: {} })).body.error.code).toBe('COMPONENT_EXISTS');
    expect((await as('GET', '/api/v1/assets?q=10.9.8.7')).body.data.map((x: any) => x.id)).toEqual([a.id]);
    expect((await as('GET', `/api/v1/assets/${a.id}/components`)).body.data).toHaveLength(1);
    expect((await as('DELETE', `/api/v1/assets/${a.id}/components/${nic.body.data.id}`)).status).toBe(200);
    expect((await as('GET', `/api/v1/assets/${a.id}`)).body.data.version).toBe(3);
    const comp = (await as('GET', `/api/v1/assets/${a.id}/changes`)).body.data.filter((c: any) => c.component_id);
    expect(comp.map((c: any) => [c.action, c.field])).toEqual([
      ['create', 'nic[eth0]'],
      ['delete', 'nic[eth0]'],
    ]);
  });

  it('lists with filters, search and cursor pages that neither repeat nor skip', async () => {
    for (let i = 0; i < 7; i++) {
      await as('POST', '/api/v1/assets', { type: 'vm', name: `list-${i}`, idc: i % 2 ? 'gz1' : 'gz2', tags: i < 3 ? ['k8s'] : [], serial: `LS-${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await as('GET', `/api/v1/assets?type=vm&sort=-name&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.body.meta.total).toBe(7);
      seen.push(...r.body.data.map((a: any) => a.name));
      cursor = r.body.meta.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['list-6', 'list-5', 'list-4', 'list-3', 'list-2', 'list-1', 'list-0']);
    expect((await as('GET', '/api/v1/assets?type=vm&idc=gz1')).body.data).toHaveLength(3);
    expect((await as('GET', '/api/v1/assets?tag=k8s&idc=gz2')).body.data.map((a: any) => a.name)).toEqual(['list-0', 'list-2']);
    expect((await as('GET', '/api/v1/assets?q=ls-5')).body.data.map((a: any) => a.name)).toEqual(['list-5']);
    expect((await as('GET', '/api/v1/assets?q=list%20ls-4')).body.data.map((a: any) => a.name)).toEqual(['list-4']);
    expect((await as('GET', '/api/v1/assets?q=%25')).body.data).toEqual([]);
  });

  it('CSV import is all or nothing with per-row errors; export round-trips', async () => {
    const csv = (text: string, q = ''): Promise<any> =>
      t.call('POST', `/api/v1/assets/import${q}`, { raw: text, headers: { ...t.admin.auth, 'content-type': 'text/csv' } });
    const count = async () => (await as('GET', '/api/v1/assets?limit=1')).body.meta.total;
    const before = await count();
    const bad = await csv('type,name,idc,rack_unit,tags\nserver,imp-1,bj9,3,a;b\nserver,,bj9,300,\nnope,imp-3,bj9,,\n');
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('IMPORT_REJECTED');
    // Every row's errors at once: line 3's from the file, line 4's (unknown type) from the database.
    expect(bad.body.error.details.errors.map((e: any) => [e.row, e.column])).toEqual([
      [3, 'rack_unit'],
      [3, 'name'],
      [4, 'type'],
    ]);
    const badType = await csv('type,name\nserver,imp-1\nnope,imp-3\n');
    expect(badType.body.error.details.errors).toEqual([expect.objectContaining({ row: 3, column: 'type' })]);
    expect(await count()).toBe(before);

    const dry = await csv('type,name,idc,tags,state\nserver,imp-1,bj9,a;b,online\nvm,"imp, 2",bj9,,\n', '?dry_run=true');
    expect(dry.body.data).toMatchObject({ created: 2, dry_run: true });
    expect(await count()).toBe(before);
    const ok = await csv('type,name,idc,tags,state\nserver,imp-1,bj9,a;b,online\nvm,"imp, 2",bj9,,\n');
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ created: 2, updated: 0 });
    const [id1] = ok.body.data.ids;
    expect((await as('GET', `/api/v1/assets/${id1}`)).body.data).toMatchObject({ name: 'imp-1', state: 'online', tags: ['a', 'b'] });
    expect((await as('GET', `/api/v1/assets/${id1}/changes`)).body.data[0]).toMatchObject({ source: 'import', actor_id: t.admin.id });

    const exp = await fetch(`${t.http}/api/v1/assets/export?idc=bj9`, { headers: t.admin.auth });
    expect(exp.headers.get('content-type')).toContain('text/csv');
    const text = await exp.text();
    const lines = text.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('"imp, 2"');
    // the exported file, edited, imports back as updates of the same assets
    const edited = text.replace(',bj9,', ',bj10,').replace(',bj9,', ',bj10,');
    const again = await csv(edited);
    expect(again.body.data).toMatchObject({ created: 0, updated: 2 });
    expect((await as('GET', '/api/v1/assets?idc=bj10')).body.data).toHaveLength(2);
  });
});
