/**
 * Service availability against a real server and Postgres: check status points written through
 * POST /api/v1/write (the path Telegraf and the agents' points share into the metric store), a
 * service over three hosts, and its availability per day from the stored history: a 30-minute outage
 * in a day gives exactly (1440 - 30) / 1440, unknown time is reported apart, and the incidents that
 * overlapped the outage are listed with how long they did.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('service availability', () => {
  let t: ApiServer;
  const hosts: Record<string, string> = {};
  let serviceId = '';
  // Yesterday (A) and the day before (B), whole UTC days.
  const dayA = Math.floor(Date.now() / DAY) * DAY - DAY;
  const dayB = dayA - DAY;
  const at = (day: number, h: number, m: number, s = 0) => day + h * 3_600_000 + m * MIN + s * 1000;

  /** A status point every 30 s over [from, to) for one host, `statusAt` deciding each (null: no point). */
  const write = async (host: string, from: number, to: number, statusAt: (t: number) => number | null) => {
    const lines: string[] = [];
    for (let ts = from; ts < to; ts += 30_000) {
      const v = statusAt(ts);
      if (v !== null) lines.push(`http_checkout status=${v} ${ts / 1000}`);
    }
    const r = await t.call('POST', `/api/v1/write?host_id=${hosts[host]}&precision=s`, { headers: t.admin.auth, raw: lines.join('\n') });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
  };
  const incident = async (host: string, opened: number, resolved: number) => {
    const id = randomUUID();
    await t.server.deps.db.query(
      `INSERT INTO monitor_incidents (id, title, host_id, severity, state, opened_at, resolved_at, priority) VALUES ($1, $2, $3, 'high', 'resolved', $4, $5, 'P2')`,
      [id, `checkout down on ${host}`, hosts[host], new Date(opened), new Date(resolved)],
    );
    return id;
  };
  const availability = (query: string) => t.call('GET', `/api/v1/services/${serviceId}/availability?${query}`, { headers: t.admin.auth });

  beforeAll(async () => {
    t = await startApiServer();
    for (const name of ['web1', 'web2', 'web3'])
      hosts[name] = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } })).body.data.id;
    // Day A: web2 CRITICAL 10:00:00-10:29:30, everything else OK.
    await write('web1', dayA, dayA + DAY, () => 0);
    await write('web3', dayA, dayA + DAY, () => 0);
    await write('web2', dayA, dayA + DAY, (ts) => (ts >= at(dayA, 10, 0) && ts < at(dayA, 10, 30) ? 2 : 0));
    // Day B: one CRITICAL point on web1 at 16:00:30 (that minute is down), web1 only UNKNOWN 14:00-14:03
    // (unknown), web2 WARNING 13:00-13:05 (up), web3 silent 12:00-12:20 (unknown).
    await write('web1', dayB, dayB + DAY, (ts) => (ts === at(dayB, 16, 0, 30) ? 2 : ts >= at(dayB, 14, 0) && ts < at(dayB, 14, 3) ? 3 : 0));
    await write('web2', dayB, dayB + DAY, (ts) => (ts >= at(dayB, 13, 0) && ts < at(dayB, 13, 5) ? 1 : 0));
    await write('web3', dayB, dayB + DAY, (ts) => (ts >= at(dayB, 12, 0) && ts < at(dayB, 12, 20) ? null : 0));
  });
  afterAll(() => t?.close());

  it('refuses a malformed service and changes nothing', async () => {
    const base = { name: 'checkout API', host_ids: [hosts.web1], check_keys: ['http_checkout'], sla_target: 99.9 };
    const ghost = await t.call('POST', '/api/v1/services', { headers: t.admin.auth, body: { ...base, host_ids: [randomUUID()] } });
    expect(ghost.status).toBe(400);
    expect(ghost.body.error).toMatchObject({ code: 'HOST_NOT_FOUND', details: { field: 'body.host_ids' } });
    const badKey = await t.call('POST', '/api/v1/services', { headers: t.admin.auth, body: { ...base, check_keys: ['http checkout'] } });
    expect(badKey.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const badTarget = await t.call('POST', '/api/v1/services', { headers: t.admin.auth, body: { ...base, sla_target: 101 } });
    expect(badTarget.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.sla_target' } });
    expect((await t.call('GET', '/api/v1/services', { headers: t.admin.auth })).body.data).toEqual([]);
  });

  it('a 30-minute outage in a day gives exactly (1440 - 30) / 1440, with the incidents that overlapped it', async () => {
    const made = await t.call('POST', '/api/v1/services', {
      headers: t.admin.auth,
      body: {
        name: 'checkout API',
        description: 'HTTP checks of the checkout',
        host_ids: [hosts.web1, hosts.web2, hosts.web3],
        check_keys: ['http_checkout'],
        sla_target: 99.9,
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.data).toMatchObject({ up_when: 'all', sla_target: 99.9, version: 1 });
    serviceId = made.body.data.id;
    const dup = await t.call('POST', '/api/v1/services', {
      headers: t.admin.auth,
      body: { name: 'checkout API', host_ids: [hosts.web1], check_keys: ['x'], sla_target: 99 },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error?.code).toBe('SERVICE_EXISTS');

    const costly = await incident('web2', at(dayA, 10, 5), at(dayA, 10, 40));
    await incident('web1', at(dayA, 15, 0), at(dayA, 15, 10)); // while the service was up: cost nothing

    const r = await availability(`period=day&from=${new Date(dayA).toISOString()}&to=${new Date(dayA + DAY).toISOString()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [day] = r.body.data.periods;
    expect(r.body.data.periods).toHaveLength(1);
    expect(day).toMatchObject({
      start: new Date(dayA).toISOString(),
      end: new Date(dayA + DAY).toISOString(),
      up_s: 1410 * 60,
      down_s: 1800,
      unknown_s: 0,
      resolution_s: 60,
      met: false,
      down: [{ start: new Date(at(dayA, 10, 0)).toISOString(), end: new Date(at(dayA, 10, 30)).toISOString() }],
    });
    expect(day.availability_pct).toBe((100 * 1410) / 1440);
    expect(day.incidents.map((i: any) => [i.id, i.priority, i.down_overlap_s])).toEqual([[costly, 'P2', 25 * 60]]);
  });

  it('judges each minute by its rollup: one CRITICAL point makes it down, silence and UNKNOWN-only are unknown, WARNING is up', async () => {
    const r = await availability(`period=day&from=${new Date(dayB).toISOString()}&to=${new Date(dayA + DAY).toISOString()}`);
    expect(r.body.data.periods.map((p: any) => p.start)).toEqual([new Date(dayB).toISOString(), new Date(dayA).toISOString()]);
    const b = r.body.data.periods[0];
    expect(b).toMatchObject({ down_s: 60, unknown_s: 1200 + 180, up_s: 86_400 - 60 - 1380, incidents: [] });
    expect(b.availability_pct).toBe((100 * (86_400 - 60 - 1380)) / (86_400 - 1380));
    expect(r.body.data.total).toMatchObject({ down_s: 1860, unknown_s: 1380, met: false });

    // Redundant hosts: up while any one is up, so neither day lost anything.
    const cur = await t.call('GET', `/api/v1/services/${serviceId}`, { headers: t.admin.auth });
    const put = await t.call('PUT', `/api/v1/services/${serviceId}`, {
      headers: { ...t.admin.auth, 'if-match': cur.headers.get('etag')! },
      body: { name: 'checkout API', host_ids: [hosts.web1, hosts.web2, hosts.web3], check_keys: ['http_checkout'], sla_target: 99.9, up_when: 'any' },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stale = await t.call('PUT', `/api/v1/services/${serviceId}`, {
      headers: { ...t.admin.auth, 'if-match': cur.headers.get('etag')! },
      body: { name: 'renamed', host_ids: [hosts.web1], check_keys: ['http_checkout'], sla_target: 99 },
    });
    expect(stale.status).toBe(412);
    const any = await availability(`period=day&from=${new Date(dayB).toISOString()}&to=${new Date(dayA + DAY).toISOString()}`);
    expect(any.body.data.periods.map((p: any) => [p.availability_pct, p.down_s, p.unknown_s, p.met])).toEqual([
      [100, 0, 0, true],
      [100, 0, 0, true],
    ]);
    expect(any.body.data.service.name).toBe('checkout API');
  });

  it('answers weeks and months as whole UTC periods, the part before any data unknown', async () => {
    const r = await availability(`period=month&from=${new Date(dayA).toISOString()}&to=${new Date(dayA + 1).toISOString()}`);
    const [month] = r.body.data.periods;
    const start = new Date(dayA);
    expect(month.start).toBe(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)).toISOString());
    expect(month.down_s).toBe(0);
    expect(month.up_s).toBeGreaterThanOrEqual(86_400);
    const week = await availability('period=week');
    expect(week.body.data.periods).toHaveLength(12);
    expect(new Date(week.body.data.periods[0].start).getUTCDay()).toBe(1);
    expect((await availability('period=year')).body.error?.code).toBe('VALIDATION_FAILED');
    expect((await availability(`period=day&from=2000-01-01T00:00:00Z`)).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'query.from' },
    });
  });

  it('deletes a service', async () => {
    expect((await t.call('DELETE', `/api/v1/services/${serviceId}`, { headers: t.admin.auth })).status).toBe(204);
    expect((await t.call('GET', `/api/v1/services/${serviceId}`, { headers: t.admin.auth })).body.error?.code).toBe('SERVICE_NOT_FOUND');
  });
});
