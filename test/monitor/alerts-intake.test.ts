/**
 * Telegraf-style intake and what follows from pushed data, through the real server: line protocol
 * on /api/v1/write (API key, scope, all-or-nothing), templates with includes, triggers with
 * hysteresis and nodata, email through a local SMTP sink (real SMTP client), maintenance windows.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { enrollAgent } from '../support/server.js';

const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('alerts from pushed metrics', () => {
  let t: ApiServer;
  let smtp: SmtpSink;
  let writer = '';
  let reader = '';
  let hostId = '';
  const write = (body: string | Buffer, key = writer, headers: Record<string, string> = {}, query = '') =>
    t.call('POST', `/api/v1/write${query}`, { headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain', ...headers }, raw: body });
  const problems = async (open?: boolean) =>
    (await t.call('GET', `/api/v1/problems?host_id=${hostId}${open === undefined ? '' : `&open=${open}`}`, { headers: t.admin.auth })).body.data as any[];

  beforeAll(async () => {
    t = await startApiServer({ AW_MONITOR_NODATA_TICK_MS: '250', AW_MONITOR_DELIVERY_BACKOFF_MS: '100', AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8' });
    smtp = await startSmtpSink();
    hostId = (await enrollAgent(t, 'tele1')).hostId;
    const mk = async (scopes: string[]) =>
      (await t.call('POST', '/api/v1/api-keys', { headers: t.admin.auth, body: { name: scopes.join(','), scopes } })).body.data.bearer as string;
    writer = await mk(['metrics:write']);
    reader = await mk(['metrics:read']);
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.close();
  });

  it('POST /api/v1/write takes line protocol with an API key holding metrics:write, all or nothing', async () => {
    expect((await t.call('POST', '/api/v1/write', { raw: 'cpu,host=tele1 usage_idle=50' })).status).toBe(401);
    expect((await write('cpu,host=tele1 usage_idle=50', reader)).status).toBe(403);
    const bad = await write('cpu,host=tele1 usage_idle=50\ncpu,host=tele1 usage_idle=oops');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/line 2/);
    const unknown = await write('cpu,host=nobody usage_idle=50');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe('HOST_NOT_FOUND');
    const names = await t.call('GET', `/api/v1/hosts/${hostId}/metric-names`, { headers: t.admin.auth });
    expect(names.body.data).toEqual([]); // nothing from the refused requests

    const now = Date.now();
    expect((await write(`cpu,host=tele1,cpu=cpu-total usage_idle=42.5 ${now}000000`)).status).toBe(204);
    expect((await write(gzipSync(`mem,host=tele1 used=1024i ${now}`), writer, { 'content-encoding': 'gzip' }, '?precision=ms')).status).toBe(204);
    expect((await write(`disk free=7 ${now}`, writer, {}, `?host_id=${hostId}&precision=ms&db=telegraf`)).status).toBe(204);
    const q = await t.call('GET', `/api/v1/hosts/${hostId}/metrics?name=cpu.usage_idle&from=-5m&labels=${encodeURIComponent('{"cpu":"cpu-total"}')}`, {
      headers: t.admin.auth,
    });
    expect(q.body.data.series[0].points[0]).toMatchObject({ max: 42.5, count: 1 });
    const after = await t.call('GET', `/api/v1/hosts/${hostId}/metric-names`, { headers: t.admin.auth });
    expect(after.body.data).toEqual(expect.arrayContaining(['cpu.usage_idle', 'mem.used', 'disk.free']));
  });

  it('refuses bad templates with the field at fault, and include cycles', async () => {
    const bad = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: { name: 'bad', items: [], triggers: [{ key: 'x', name: 'x', severity: 'high', expression: 'avg(cpu) > 1' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.details?.field).toBe('body.triggers[0].expression');
    const plugin = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: { name: 'bad2', items: [{ key: 'p', type: 'plugin', command: '../../bin/sh', interval_s: 10 }], triggers: [] },
    });
    expect(plugin.status).toBe(400);
    const a = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: { name: 'A', items: [{ key: 'ssh', type: 'tcp', params: { host: '127.0.0.1', port: 22 }, interval_s: 30 }], triggers: [] },
    });
    const b = await t.call('POST', '/api/v1/templates', { headers: t.admin.auth, body: { name: 'B', items: [], triggers: [], includes: [a.body.data.id] } });
    expect(b.status).toBe(201);
    const cycle = await t.call('PUT', `/api/v1/templates/${a.body.data.id}`, {
      headers: { ...t.admin.auth, 'if-match': '"1"' },
      body: { name: 'A', items: [], triggers: [], includes: [b.body.data.id] },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error?.code).toBe('TEMPLATE_INCLUDE_CYCLE');
    // A host linked to B gets A's items through the include.
    await t.call('PUT', `/api/v1/templates/${b.body.data.id}/hosts/${hostId}`, { headers: t.admin.auth });
    const mon = await t.call('GET', `/api/v1/hosts/${hostId}/monitoring`, { headers: t.admin.auth });
    expect(mon.body.data.items).toEqual([{ key: 'ssh', type: 'tcp', intervalS: 30, timeoutS: 10, params: { host: '127.0.0.1', port: 22 } }]);
    expect(mon.body.data.templates.map((x: any) => x.name)).toEqual(['B', 'A']);
    const del = await t.call('DELETE', `/api/v1/templates/${a.body.data.id}`, { headers: t.admin.auth });
    expect(del.status).toBe(409);

    // Through a CMDB host group: the group's members get the template too.
    const group = await t.call('POST', '/api/v1/host-groups', { headers: t.admin.auth, body: { name: 'web', host_ids: [hostId] } });
    expect(group.status).toBe(201);
    const web = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: { name: 'web checks', items: [{ key: 'nginx', type: 'process', params: { name: 'nginx' }, interval_s: 60 }], triggers: [] },
    });
    expect((await t.call('PUT', `/api/v1/templates/${web.body.data.id}/host-groups/${group.body.data.id}`, { headers: t.admin.auth })).status).toBe(200);
    const viaGroup = await t.call('GET', `/api/v1/hosts/${hostId}/monitoring`, { headers: t.admin.auth });
    expect(viaGroup.body.data.items.map((i: any) => i.key)).toEqual(['nginx', 'ssh']);
    expect(viaGroup.body.data.version).not.toBe(mon.body.data.version);
    expect((await t.call('DELETE', `/api/v1/templates/${web.body.data.id}/host-groups/${group.body.data.id}`, { headers: t.admin.auth })).status).toBe(200);
    const after = await t.call('GET', `/api/v1/hosts/${hostId}/monitoring`, { headers: t.admin.auth });
    expect(after.body.data.version).toBe(mon.body.data.version);
  });

  it('pushed data fires a trigger with hysteresis, mails the problem over SMTP, recovers; nodata fires when pushes stop', async () => {
    const mail = await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: {
        name: 'ops mail',
        kind: 'email',
        settings: { smtp_host: '127.0.0.1', smtp_port: smtp.port, from: 'autowatch@example.test', to: ['ops@example.test'] },
        min_severity: 'average',
      },
    });
    expect(mail.status).toBe(201);
    expect(mail.body.data.secret).toBeNull();
    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: {
        name: 'telegraf cpu',
        items: [],
        triggers: [
          {
            key: 'cpu_busy',
            name: 'CPU busy',
            severity: 'average',
            expression: 'last(cpu.usage_idle{cpu="cpu-total"}) < 10',
            recovery: 'last(cpu.usage_idle{cpu="cpu-total"}) > 20',
          },
          { key: 'beat_gone', name: 'No heartbeat from app', severity: 'info', expression: 'nodata(app.beat, 2s)' },
        ],
      },
    });
    expect(tpl.status).toBe(201);
    await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${hostId}`, { headers: t.admin.auth });
    const push = (idle: number) => write(`cpu,host=tele1,cpu=cpu-total usage_idle=${idle}\napp,host=tele1 beat=1`, writer, {}, '?precision=ms');

    await push(50);
    await push(5);
    const p = await until('cpu problem', async () => (await problems(true)).find((x) => x.name === 'CPU busy'));
    expect(p.value).toBe(5);
    const m = await until('problem mail', async () => smtp.mails.find((x) => /CPU busy/.test(x.data)));
    expect(m.to).toEqual(['ops@example.test']);
    expect(m.data).toMatch(/Subject: \[AutoWatch PROBLEM\] average CPU busy on tele1/);

    await push(15); // above the problem threshold, below the recovery one: still a problem
    await new Promise((r) => setTimeout(r, 500));
    expect((await problems(true)).some((x) => x.name === 'CPU busy')).toBe(true);
    await push(30);
    await until('cpu recovery', async () => !(await problems(true)).some((x) => x.name === 'CPU busy'));
    await until('recovery mail', async () => smtp.mails.find((x) => /RECOVERY/.test(x.data)));

    // Pushes stop: nodata(app.beat, 2s) opens a problem (info: below the mail channel's floor).
    const gone = await until('nodata problem', async () => (await problems(true)).find((x) => x.name === 'No heartbeat from app'), 10_000);
    expect(gone.severity).toBe('info');
    await push(30);
    await until('nodata recovery', async () => !(await problems(true)).some((x) => x.name === 'No heartbeat from app'));
    const log = await t.call('GET', `/api/v1/notification-deliveries?problem_id=${gone.id}`, { headers: t.admin.auth });
    expect(log.body.data).toEqual([]);
  });

  it('a maintenance window records problems but notifies nobody', async () => {
    const now = Date.now();
    const w = await t.call('POST', '/api/v1/maintenance-windows', {
      headers: t.admin.auth,
      body: { name: 'patching', host_id: hostId, starts_at: new Date(now - 1000).toISOString(), ends_at: new Date(now + 3_600_000).toISOString() },
    });
    expect(w.status).toBe(201);
    const mailsBefore = smtp.mails.length;
    await write(`cpu,host=tele1,cpu=cpu-total usage_idle=1\napp,host=tele1 beat=1`, writer, {}, '?precision=ms');
    const p = await until('silenced problem', async () => (await problems(true)).find((x) => x.name === 'CPU busy'));
    expect(p.suppressed).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(smtp.mails.length).toBe(mailsBefore);
    expect((await t.call('GET', `/api/v1/notification-deliveries?problem_id=${p.id}`, { headers: t.admin.auth })).body.data).toEqual([]);
    expect((await t.call('DELETE', `/api/v1/maintenance-windows/${w.body.data.id}`, { headers: t.admin.auth })).status).toBe(200);
  });
});
