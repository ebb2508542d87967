/**
 * Problems name their host: a trigger named with macros opens a problem, an incident and a webhook
 * that carry the real hostname and item key, and the problem and incident lists show host_name.
 * Real server on Postgres, points pushed through the line-protocol intake, a real webhook receiver.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('problems carry host names and expanded macros', () => {
  let t: ApiServer;
  let receiver: Server;
  const received: any[] = [];

  beforeAll(async () => {
    t = await startApiServer({ AW_MONITOR_DELIVERY_BACKOFF_MS: '200', AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8' });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString()));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it('"Port {ITEM.KEY} is down on {HOST.NAME}" reads with the real key and hostname everywhere', async () => {
    const auth = t.admin.auth;
    const hook = await t.call('POST', '/api/v1/notification-channels', {
      headers: auth,
      body: { name: 'macro receiver', kind: 'webhook', settings: { url: `http://127.0.0.1:${(receiver.address() as any).port}/hook` }, min_severity: 'info' },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const host = await t.call('POST', '/api/v1/hosts', { headers: auth, body: { hostname: 'db-macro-17' } });
    const hostId = host.body.data.id;
    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: auth,
      body: {
        name: 'macro ports',
        items: [],
        triggers: [
          {
            key: 'port_down',
            name: 'Port {ITEM.KEY} is down on {HOST.NAME} ({TRIGGER.SEVERITY}, status {ITEM.VALUE}, host {HOST.ID}) {NO.SUCH}',
            severity: 'high',
            expression: 'last(web_port.status) >= 2',
          },
        ],
      },
    });
    expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
    const link = await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${hostId}`, { headers: auth });
    expect(link.status, JSON.stringify(link.body)).toBe(200);

    const write = await t.call('POST', `/api/v1/write?host_id=${hostId}&precision=ms`, {
      headers: { ...auth, 'content-type': 'text/plain' },
      raw: `web_port status=2 ${Date.now()}\n`,
    });
    expect(write.status, JSON.stringify(write.body)).toBe(204);

    const expected = `Port web_port.status is down on db-macro-17 (high, status 2, host ${hostId}) {NO.SUCH}`;
    const problem = await until('problem opened', async () => {
      const r = await t.call('GET', `/api/v1/problems?open=true&host_id=${hostId}`, { headers: auth });
      return r.body.data[0];
    });
    expect(problem).toMatchObject({ name: expected, host_id: hostId, host_name: 'db-macro-17' });

    const one = await t.call('GET', `/api/v1/problems/${problem.id}`, { headers: auth });
    expect(one.body.data.problem.host_name).toBe('db-macro-17');
    const incidents = await t.call('GET', `/api/v1/incidents?host_id=${hostId}`, { headers: auth });
    expect(incidents.body.data).toHaveLength(1);
    expect(incidents.body.data[0]).toMatchObject({ title: expected, host_name: 'db-macro-17' });
    const incident = await t.call('GET', `/api/v1/incidents/${problem.incident_id}`, { headers: auth });
    expect(incident.body.data.incident.host_name).toBe('db-macro-17');
    expect(incident.body.data.problems[0].host_name).toBe('db-macro-17');

    const delivered = await until('problem webhook', async () => received.find((b) => b.event === 'problem'));
    expect(delivered.problem).toMatchObject({ name: expected, host_name: 'db-macro-17' });
    expect(delivered.host).toEqual({ id: hostId, hostname: 'db-macro-17' });

    // Acknowledging answers with the host's name too.
    const ack = await t.call('POST', `/api/v1/problems/${problem.id}/acknowledge`, { headers: auth, body: { comment: 'looking' } });
    expect(ack.body.data.host_name).toBe('db-macro-17');
  });
});
