/**
 * "Send test" on a notification channel: POST /api/v1/notification-channels/:id/test queues one
 * signed notification through the real delivery worker to a real receiver, for a disabled channel
 * too (so it can be tried before it is switched on); it is authorised and audited.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../server/monitor/notifier.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { until } from '../support/until.js';

describe('notification channel test send', () => {
  let t: ApiServer;
  let receiver: Server;
  let port = 0;
  const hits: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    t = await startApiServer({ AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.1/32' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    port = (receiver.address() as { port: number }).port;
  });

  afterAll(async () => {
    receiver?.close();
    await t?.close();
  });

  it('delivers a signed test notification through a disabled channel and logs it', async () => {
    const made = await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: { name: 'try me', kind: 'webhook', settings: { url: `http://127.0.0.1:${port}/hook` }, enabled: false },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { channel, secret } = made.body.data;

    const sent = await t.call('POST', `/api/v1/notification-channels/${channel.id}/test`, { headers: t.admin.auth });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const deliveryId = sent.body.data.delivery_id;
    expect(deliveryId).toBeGreaterThan(0);

    await until('the test notification', () => hits.length === 1, 10_000);
    const hit = hits[0];
    expect(hit.headers['x-autowatch-event']).toBe('test');
    const body = JSON.parse(hit.body);
    expect(body).toMatchObject({ delivery_id: deliveryId, event: 'test', test: true });
    const sig = String(hit.headers['x-autowatch-signature']);
    const ts = Number(/t=(\d+)/.exec(sig)![1]);
    expect(sig).toBe(signWebhook(secret, hit.body, ts));

    await until(
      'the delivery logged as delivered',
      async () => {
        const log = await t.call('GET', `/api/v1/notification-deliveries?channel_id=${channel.id}`, { headers: t.admin.auth });
        return log.body.data[0]?.state === 'delivered';
      },
      10_000,
    );
    const audit = await t.call('GET', '/api/v1/audit?route=/api/v1/notification-channels/:id/test', { headers: t.admin.auth });
    expect(audit.body.data[0]).toMatchObject({ method: 'POST', status: 202, resource: { id: channel.id } });
    expect(audit.body.data[0].detail).toMatchObject({ channel_id: channel.id, delivery_id: String(deliveryId) });
  });

  it('answers 404 CHANNEL_NOT_FOUND for an unknown channel and 403 without monitor:write, sending nothing', async () => {
    const before = hits.length;
    const unknown = await t.call('POST', '/api/v1/notification-channels/00000000-0000-4000-8000-000000000000/test', { headers: t.admin.auth });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('CHANNEL_NOT_FOUND');
    const made = await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: { name: 'viewer cannot', kind: 'webhook', settings: { url: `http://127.0.0.1:${port}/hook` } },
    });
    const viewer = await t.userSession('viewer');
    const refused = await t.call('POST', `/api/v1/notification-channels/${made.body.data.channel.id}/test`, { headers: viewer.auth });
    expect(refused.status).toBe(403);
    const log = await t.call('GET', `/api/v1/notification-deliveries?channel_id=${made.body.data.channel.id}`, { headers: t.admin.auth });
    expect(log.body.data).toEqual([]);
    expect(hits.length).toBe(before);
  });
});
