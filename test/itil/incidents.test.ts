/**
 * Incident and problem management against a real server and Postgres: points pushed through the
 * write API fire a real trigger, the incident gets its priority from the (configured) matrix, an
 * unacknowledged P1 escalates to a second webhook channel on 127.0.0.1 after its timer while an
 * acknowledged one does not, and a known error recorded from one incident is linked by its rule
 * to the next incident of the same trigger, whose answer shows the workaround. An incident whose
 * host is in a maintenance window does not escalate (its timeline says so once) until the window ends.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { until } from '../support/until.js';

interface Hook {
  channel: string;
  event: string;
  body: any;
  at: number;
}

describe('incident and problem management', () => {
  let t: ApiServer;
  let receiver: Server;
  const received: Hook[] = [];
  const hosts: Record<string, string> = {};
  let templateId = '';
  let second = '';

  const write = (host: string, value: number) =>
    t.call('POST', `/api/v1/write?host_id=${hosts[host]}&precision=ms`, { headers: t.admin.auth, raw: `app load=${value} ${Date.now()}` });
  const incidentOf = async (host: string, state = 'open') => {
    const r = await t.call('GET', `/api/v1/incidents?host_id=${hosts[host]}&state=${state}`, { headers: t.admin.auth });
    return r.body.data[0] as any;
  };
  const detail = async (id: string) => (await t.call('GET', `/api/v1/incidents/${id}`, { headers: t.admin.auth })).body.data;

  beforeAll(async () => {
    t = await startApiServer({ AW_MONITOR_NODATA_TICK_MS: '200', AW_MONITOR_DELIVERY_BACKOFF_MS: '100', AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8' });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        received.push({ channel: req.url!.slice(1), event: body.event, body, at: Date.now() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = (name: string) => `http://127.0.0.1:${(receiver.address() as { port: number }).port}/${name}`;
    // The first channel hears every problem; the second only what escalates (its floor is above the trigger's severity).
    await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: { name: 'on call', kind: 'webhook', settings: { url: url('first') } },
    });
    second = (
      await t.call('POST', '/api/v1/notification-channels', {
        headers: t.admin.auth,
        body: { name: 'duty manager', kind: 'webhook', settings: { url: url('second') }, min_severity: 'disaster' },
      })
    ).body.data.channel.id;
    for (const name of ['web1', 'web2', 'db1'])
      hosts[name] = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } })).body.data.id;
    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: { name: 'app', items: [], triggers: [{ key: 'load', name: 'App overloaded', severity: 'high', expression: 'last(app.load) > 90' }] },
    });
    templateId = tpl.body.data.id;
    for (const h of Object.values(hosts))
      expect((await t.call('PUT', `/api/v1/templates/${templateId}/hosts/${h}`, { headers: t.admin.auth })).status).toBe(200);
  });
  afterAll(async () => {
    receiver?.close();
    await t?.close();
  });

  it('the priority matrix is a setting: refused when malformed, and a high severity made P1', async () => {
    const s = await t.call('GET', '/api/v1/itil/settings', { headers: t.admin.auth });
    expect(s.body.data.matrix.high.medium).toBe('P2');
    expect(s.body.data.severity_defaults.high).toEqual({ impact: 'high', urgency: 'medium' });
    const bad = await t.call('PUT', '/api/v1/itil/settings', {
      headers: t.admin.auth,
      body: { ...s.body.data, matrix: { ...s.body.data.matrix, high: { high: 'P0', medium: 'P1', low: 'P3' } } },
    });
    expect(bad.status).toBe(400);
    expect((await t.call('GET', '/api/v1/itil/settings', { headers: t.admin.auth })).body.data.matrix.high.medium).toBe('P2');
    const strict = { ...s.body.data, matrix: { ...s.body.data.matrix, high: { high: 'P1', medium: 'P1', low: 'P3' } } };
    const put = await t.call('PUT', '/api/v1/itil/settings', { headers: t.admin.auth, body: strict });
    expect(put.status).toBe(200);
    expect(put.body.data.matrix.high.medium).toBe('P1');
  });

  it('an unacknowledged P1 escalates to the second channel after its timer; an acknowledged one does not', async () => {
    const rule = await t.call('POST', '/api/v1/escalation-rules', {
      headers: t.admin.auth,
      body: { priority: 'P1', kind: 'acknowledge', after_s: 2, channel_id: second },
    });
    expect(rule.status).toBe(201);
    const noChannel = await t.call('POST', '/api/v1/escalation-rules', {
      headers: t.admin.auth,
      body: { priority: 'P1', kind: 'acknowledge', after_s: 2, channel_id: hosts.web1 },
    });
    expect(noChannel.body.error?.code).toBe('CHANNEL_NOT_FOUND');

    expect((await write('web1', 95)).status).toBe(204);
    expect((await write('web2', 95)).status).toBe(204);
    await until('both incidents', async () => !!(await incidentOf('web1')) && !!(await incidentOf('web2')), 10_000);
    const quiet = await incidentOf('web2');
    const ack = await t.call('POST', `/api/v1/incidents/${quiet.id}/transitions`, { headers: t.admin.auth, body: { to: 'acknowledged', comment: 'on it' } });
    expect(ack.status).toBe(200);
    const loud = await incidentOf('web1');
    expect(loud).toMatchObject({ priority: 'P1', impact: 'high', urgency: 'medium', priority_manual: false, acknowledged_at: null });
    await until(
      'the problem on the first channel',
      async () => received.some((h) => h.channel === 'first' && h.event === 'problem' && h.body.host.id === hosts.web1),
      10_000,
    );
    expect(received.filter((h) => h.channel === 'second')).toEqual([]);

    await until('the escalation', async () => received.some((h) => h.channel === 'second'), 15_000);
    const esc = received.filter((h) => h.channel === 'second');
    expect(esc.map((h) => [h.event, h.body.incident.id])).toEqual([['escalation', loud.id]]);
    expect(esc[0].at - new Date(loud.opened_at).getTime()).toBeGreaterThanOrEqual(2000);
    // Fires once however many ticks pass, and never for the acknowledged incident.
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.filter((h) => h.channel === 'second').length).toBe(1);

    const d = await detail(loud.id);
    expect(d.management.escalations).toEqual([expect.objectContaining({ rule_id: rule.body.data.id, kind: 'acknowledge', channel_id: second })]);
    expect(d.timeline.find((e: any) => e.kind === 'escalated')).toMatchObject({ actor: 'system', comment: expect.stringContaining('duty manager') });
    expect(d.timeline.find((e: any) => e.kind === 'priority')).toMatchObject({ actor: 'system', comment: expect.stringContaining('P1') });
    expect(d.management.time_to_acknowledge).toMatchObject({ seconds: null, target_s: 900 });
    expect((await detail(quiet.id)).management).toMatchObject({ escalations: [], time_to_acknowledge: { met: true, target_s: 900 } });
    expect((await detail(quiet.id)).management.time_to_acknowledge.seconds).toBeGreaterThanOrEqual(0);
  });

  it('sets priority by impact x urgency and an assignee, each on the timeline with who', async () => {
    const i = await incidentOf('web1');
    const op = await t.userSession('operator', 'olga');
    const p = await t.call('PUT', `/api/v1/incidents/${i.id}/priority`, {
      headers: op.auth,
      body: { impact: 'low', urgency: 'medium', comment: 'only a canary' },
    });
    expect(p.body.data).toMatchObject({ priority: 'P4', impact: 'low', urgency: 'medium', priority_manual: true });
    const nobody = await t.call('PUT', `/api/v1/incidents/${i.id}/assignee`, { headers: op.auth, body: { user_id: i.id } });
    expect(nobody.body.error?.code).toBe('ASSIGNEE_NOT_FOUND');
    const a = await t.call('PUT', `/api/v1/incidents/${i.id}/assignee`, { headers: op.auth, body: { user_id: op.id } });
    expect(a.body.data.assignee_id).toBe(op.id);
    const tl = (await detail(i.id)).timeline;
    expect(tl.find((e: any) => e.kind === 'priority' && e.actor === 'user:olga').comment).toContain('-> P4');
    expect(tl.find((e: any) => e.kind === 'assigned')).toMatchObject({ actor: 'user:olga', comment: 'assigned to user:olga' });
  });

  it('a second incident from the same trigger links to the known error and shows its workaround', async () => {
    const i = await incidentOf('web1');
    const ke = await t.call('POST', '/api/v1/known-errors', {
      headers: t.admin.auth,
      body: {
        title: 'Cache stampede after deploy',
        from_incident_id: i.id,
        suspected_cause: 'cold cache',
        workaround: 'warm the cache: make warm',
        status: 'known_error',
      },
    });
    expect(ke.status).toBe(201);
    expect(ke.body.data.match_trigger_ref).toBe(`${templateId}:load`);
    const bad = await t.call('PATCH', `/api/v1/known-errors/${ke.body.data.id}`, { headers: t.admin.auth, body: { match_host_group_id: i.id } });
    expect(bad.body.error?.code).toBe('HOST_GROUP_NOT_FOUND');

    // The first incident recovers; the trigger fires again: a new incident, linked by the rule.
    expect((await write('web1', 10)).status).toBe(204);
    await until('recovery', async () => !(await incidentOf('web1')), 10_000);
    expect((await write('web1', 97)).status).toBe(204);
    await until('the second incident', async () => !!(await incidentOf('web1')), 10_000);
    const again = await incidentOf('web1');
    expect(again.id).not.toBe(i.id);
    await until('the link', async () => (await detail(again.id)).management.known_errors.length > 0, 5000);
    const d = await detail(again.id);
    expect(d.management.known_errors).toEqual([
      expect.objectContaining({ id: ke.body.data.id, status: 'known_error', workaround: 'warm the cache: make warm', linked_by: 'rule' }),
    ]);
    expect(d.timeline.find((e: any) => e.kind === 'known_error_linked').comment).toContain('warm the cache');
    const linked = await t.call('GET', `/api/v1/known-errors/${ke.body.data.id}`, { headers: t.admin.auth });
    expect(linked.body.data.incidents.map((x: any) => x.incident_id).sort()).toEqual([i.id, again.id].sort());

    // A known error limited to a host group links nothing outside it; a resolved one links nothing.
    const group = await t.call('POST', '/api/v1/host-groups', { headers: t.admin.auth, body: { name: 'web', host_ids: [hosts.web1, hosts.web2] } });
    const scoped = await t.call('PATCH', `/api/v1/known-errors/${ke.body.data.id}`, {
      headers: t.admin.auth,
      body: { match_host_group_id: group.body.data.id },
    });
    expect(scoped.status).toBe(200);
    expect((await write('db1', 99)).status).toBe(204);
    await until('the db incident', async () => !!(await incidentOf('db1')), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await detail((await incidentOf('db1')).id)).management.known_errors).toEqual([]);
    const done = await t.call('PATCH', `/api/v1/known-errors/${ke.body.data.id}`, {
      headers: t.admin.auth,
      body: { status: 'resolved', root_cause: 'no cache warm-up in the deploy' },
    });
    expect(done.body.data.resolved_at).not.toBeNull();
    const back = await t.call('PATCH', `/api/v1/known-errors/${ke.body.data.id}`, { headers: t.admin.auth, body: { status: 'known_error' } });
    expect(back.body.error?.code).toBe('KNOWN_ERROR_BAD_TRANSITION');
  });

  it('an incident whose hosts are all in a maintenance window does not escalate, and says so once; it does when the window ends', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'web3' } })).body.data.id;
    hosts.web3 = host;
    expect((await t.call('PUT', `/api/v1/templates/${templateId}/hosts/${host}`, { headers: t.admin.auth })).status).toBe(200);
    const w = await t.call('POST', '/api/v1/maintenance-windows', {
      headers: t.admin.auth,
      body: {
        name: 'kernel update',
        host_id: host,
        starts_at: new Date(Date.now() - 60_000).toISOString(),
        ends_at: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(w.status).toBe(201);
    expect((await write('web3', 95)).status).toBe(204);
    await until('the incident', async () => !!(await incidentOf('web3')), 10_000);
    const i = await incidentOf('web3');
    expect(i.priority).toBe('P1');
    // The P1 rule (2 s) is due; many ticks pass: held, said once, nobody notified.
    await until('the hold on the timeline', async () => (await detail(i.id)).timeline.some((e: any) => e.kind === 'escalation_held'), 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const d = await detail(i.id);
    expect(d.timeline.filter((e: any) => e.kind === 'escalation_held')).toEqual([
      expect.objectContaining({ actor: 'system', comment: expect.stringContaining('maintenance window') }),
    ]);
    expect(d.timeline.some((e: any) => e.kind === 'escalated')).toBe(false);
    expect(d.management.escalations).toEqual([]);
    expect(received.filter((h) => h.channel === 'second' && h.body.incident.id === i.id)).toEqual([]);

    // The window is over: the rule fires at the next tick.
    expect((await t.call('DELETE', `/api/v1/maintenance-windows/${w.body.data.id}`, { headers: t.admin.auth })).status).toBe(200);
    await until('the escalation after the window', async () => received.some((h) => h.channel === 'second' && h.body.incident.id === i.id), 10_000);
    expect((await detail(i.id)).timeline.some((e: any) => e.kind === 'escalated')).toBe(true);
  });
});
