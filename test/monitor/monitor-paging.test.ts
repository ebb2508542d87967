/**
 * The monitoring lists page like every other collection (limit, cursor, meta.next_cursor), through
 * the real server on Postgres: walking all pages yields every row once, in the route's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type Answer, type ApiServer } from '../api/api-client.js';

describe('monitoring list paging', () => {
  let t: ApiServer;
  beforeAll(async () => {
    // Deliveries go to a port nobody listens on and are retried rarely: the rows stay put.
    t = await startApiServer({ AW_MONITOR_DELIVERY_BACKOFF_MS: '3600000', AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Every row of a collection, page by page; fails on a page bigger than asked or a cursor loop. */
  const walk = async (path: string, limit: number) => {
    const rows: any[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const r: Answer = await t.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { headers: t.admin.auth });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(limit);
      expect(r.body.meta.limit).toBe(limit);
      rows.push(...r.body.data);
      cursor = r.body.meta.next_cursor;
      if (!cursor) return rows;
    }
  };
  const expectAllOnce = (rows: any[], ids: string[]) => {
    const seen = rows.map((r) => String(r.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(ids.map(String).sort());
  };

  it('templates: by name, all pages without duplicates; the OpenAPI document shows limit and cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.call('POST', '/api/v1/templates', {
        headers: t.admin.auth,
        body: { name: `paged ${String.fromCharCode(103 - i)}`, items: [], triggers: [] },
      });
      expect(r.status).toBe(201);
      ids.push(r.body.data.id);
    }
    const rows = await walk('/api/v1/templates', 3);
    expectAllOnce(rows, ids);
    expect(rows.map((r) => r.name)).toEqual([...rows.map((r) => r.name)].sort());
    const bad = await t.call('GET', '/api/v1/templates?cursor=nonsense', { headers: t.admin.auth });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_CURSOR');

    const doc: any = await (await fetch(`${t.http}/api/v1/openapi.json`)).json();
    const params = doc.paths['/api/v1/templates'].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(['limit', 'cursor']));
    expect(JSON.stringify(doc.paths['/api/v1/templates'].post)).toContain('collector');
  });

  it('notification channels and maintenance windows', async () => {
    const channels: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.call('POST', '/api/v1/notification-channels', {
        headers: t.admin.auth,
        body: { name: `hook ${i}`, kind: 'webhook', settings: { url: 'http://127.0.0.1:9/hook' }, min_severity: 'info' },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      channels.push(r.body.data.channel.id);
    }
    expectAllOnce(await walk('/api/v1/notification-channels', 2), channels);

    const host = await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'paging-host' } });
    const windows: string[] = [];
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      const r = await t.call('POST', '/api/v1/maintenance-windows', {
        headers: t.admin.auth,
        // Two windows share a start time: the id breaks the tie.
        body: {
          name: `window ${i}`,
          host_id: host.body.data.id,
          starts_at: new Date(start + Math.floor(i / 2) * 1000).toISOString(),
          ends_at: new Date(start + 3_600_000).toISOString(),
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      windows.push(r.body.data.id);
    }
    expectAllOnce(await walk('/api/v1/maintenance-windows', 2), windows);
    expectAllOnce(await walk('/api/v1/maintenance-windows?current=true', 2), windows);
  });

  it('problems, incidents and the delivery log, newest first', async () => {
    const m = t.server.deps.monitor!;
    const problems: string[] = [];
    const hosts: string[] = [];
    for (let h = 0; h < 3; h++) {
      const host = await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: `paging-${h}` } });
      hosts.push(host.body.data.id);
      for (let k = 0; k < 2; k++) {
        const p = await m.problems.open({
          hostId: host.body.data.id,
          triggerRef: `test:${k}`,
          templateId: null,
          name: `problem ${h}.${k}`,
          severity: 'high',
          expression: 'test',
          value: 1,
          suppressed: false,
        });
        problems.push(p!.id);
        await m.notifier.enqueue({ event: 'problem', severity: 'high', problemId: p!.id, body: { test: true } });
      }
    }
    const rows = await walk('/api/v1/problems', 4);
    expectAllOnce(rows, problems);
    const opened = rows.map((r) => Date.parse(r.opened_at));
    expect(opened).toEqual([...opened].sort((a, b) => b - a));
    expectAllOnce(await walk(`/api/v1/problems?host_id=${hosts[1]}`, 1), problems.slice(2, 4));

    const incidents = await walk('/api/v1/incidents', 2);
    expect(incidents).toHaveLength(3);
    expect(new Set(incidents.map((i) => i.host_id))).toEqual(new Set(hosts));
    expect(new Set(incidents.map((i) => i.id)).size).toBe(3);

    // One delivery per channel (5, from the test before) for each of the 6 problems.
    const deliveries = await walk('/api/v1/notification-deliveries', 7);
    expect(deliveries).toHaveLength(30);
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(30);
  });
});
