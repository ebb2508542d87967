/**
 * Notification channels cannot be pointed at the server's own internal services (SSRF). The server
 * runs with AW_NOTIFY_ALLOW_NETWORKS=127.0.0.2/32, as an admin would allow-list one network: the
 * receivers there are reachable, while an "internal service" on 127.0.0.1 must receive nothing,
 * whether the channel names it by address, as `localhost` (resolved by DNS at send time) or
 * through a redirect. What remote ends say (an SMTP banner, an HTTP body) never reaches the
 * delivery log viewers read.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { until } from '../support/until.js';

const ALLOWED = '127.0.0.2';
const listen = async <S extends HttpServer | NetServer>(server: S, host: string): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as { port: number }).port;
};

describe('notification egress policy', () => {
  let t: ApiServer;
  /** Stands for an internal service: Redis, an admin API, the metadata endpoint. */
  let internal: HttpServer;
  let internalPort = 0;
  const internalHits: string[] = [];
  /** Allow-listed receivers: a good one, a failing one with a secret body, one redirecting to the internal service. */
  let receiver: HttpServer;
  let receiverPort = 0;
  const receiverHits: string[] = [];
  let refusingMx: SmtpSink;
  let sshLike: NetServer;
  let sshPort = 0;
  let closedPort = 0;

  beforeAll(async () => {
    t = await startApiServer({ AW_NOTIFY_ALLOW_NETWORKS: `${ALLOWED}/32`, AW_MONITOR_DELIVERY_ATTEMPTS: '1', AW_MONITOR_DELIVERY_TIMEOUT_MS: '3000' });
    internal = createHttpServer((req, res) => {
      internalHits.push(req.url ?? '');
      res.writeHead(200).end('internal secret-internal-1234');
    });
    internalPort = await listen(internal, '127.0.0.1');
    receiver = createHttpServer((req, res) => {
      receiverHits.push(req.url ?? '');
      req.resume();
      if (req.url === '/ok') res.writeHead(204).end();
      else if (req.url === '/fail') res.writeHead(500, { 'content-type': 'text/plain' }).end('stack trace with secret-body-9931');
      else res.writeHead(302, { location: `http://127.0.0.1:${internalPort}/via-redirect` }).end();
    });
    receiverPort = await listen(receiver, ALLOWED);
    refusingMx = await startSmtpSink({ host: ALLOWED, greeting: '554 mx.corp.internal secret-relay-0042 no service' });
    sshLike = createNetServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1 secret-ssh-5150\r\n'));
    sshPort = await listen(sshLike, ALLOWED);
    const probe = createNetServer();
    closedPort = await listen(probe, ALLOWED);
    await new Promise((r) => probe.close(r));
  });

  afterAll(async () => {
    internal?.close();
    receiver?.close();
    sshLike?.close();
    await refusingMx?.close();
    await t?.close();
  });

  const createChannel = (name: string, settings: Record<string, unknown>) =>
    t.call('POST', '/api/v1/notification-channels', { headers: t.admin.auth, body: { name, kind: 'url' in settings ? 'webhook' : 'email', settings } });
  const email = (smtp_host: string, smtp_port: number) => ({ smtp_host, smtp_port, from: 'aw@example.test', to: ['ops@example.test'] });

  it('a channel aimed at an internal address is refused at creation and on change, naming the field', async () => {
    const refused: [Record<string, unknown>, string][] = [
      [{ url: `http://127.0.0.1:${internalPort}/hook` }, 'body.settings.url'],
      [{ url: `http://localhost:${internalPort}/hook` }, 'body.settings.url'],
      [{ url: `http://[::ffff:127.0.0.1]:${internalPort}/hook` }, 'body.settings.url'],
      [{ url: `http://2130706433:${internalPort}/hook` }, 'body.settings.url'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'body.settings.url'],
      [{ url: 'https://[fd00:ec2::254]/' }, 'body.settings.url'],
      [email('127.0.0.1', 25), 'body.settings.smtp_host'],
      [email('10.0.0.5', 25), 'body.settings.smtp_host'],
      [email('localhost', 25), 'body.settings.smtp_host'],
    ];
    for (const [settings, field] of refused) {
      const r = await createChannel(`refused ${randomUUID()}`, settings);
      expect(r.status, JSON.stringify(settings)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'CHANNEL_TARGET_FORBIDDEN', details: { field } });
    }
    const list = await t.call('GET', '/api/v1/notification-channels', { headers: t.admin.auth });
    expect(list.body.data.filter((c: any) => c.name.startsWith('refused '))).toEqual([]);

    const ok = await createChannel(`allowed ${randomUUID()}`, { url: `http://${ALLOWED}:${receiverPort}/ok` });
    expect(ok.status).toBe(201);
    const id = ok.body.data.channel.id;
    const moved = await t.call('PATCH', `/api/v1/notification-channels/${id}`, {
      headers: { ...t.admin.auth, 'if-match': ok.headers.get('etag')! },
      body: { settings: { url: `http://127.0.0.1:${internalPort}/hook` } },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.error?.code).toBe('CHANNEL_TARGET_FORBIDDEN');
    expect((await t.call('GET', '/api/v1/notification-channels', { headers: t.admin.auth })).body.data.find((c: any) => c.id === id).settings.url).toContain(
      ALLOWED,
    );
    await t.call('DELETE', `/api/v1/notification-channels/${id}`, { headers: t.admin.auth });
  });

  it('deliveries connect only to allowed addresses, follow no redirect and log no remote text', async () => {
    const m = t.server.deps.monitor!;
    // Targets that slip past creation: a channel stored before the policy, or a name that
    // resolves elsewhere at send time. The connect-time check is the one that counts.
    const channels: Record<string, string> = {};
    const stored = async (name: string, kind: 'webhook' | 'email', settings: Record<string, unknown>) => {
      const id = randomUUID();
      await t.server.deps.db.query(
        `INSERT INTO monitor_channels (id, name, kind, settings, secret, min_severity, enabled, created_by) VALUES ($1, $2, $3, $4, 'secret-secret-secret', 'info', true, 'test')`,
        [id, name, kind, JSON.stringify(settings)],
      );
      channels[name] = id;
    };
    await stored('internal by address', 'webhook', { url: `http://127.0.0.1:${internalPort}/by-address` });
    await stored('internal by name', 'webhook', { url: `http://localhost:${internalPort}/by-name` });
    await stored('internal mail', 'email', email('localhost', internalPort));
    for (const [name, settings] of Object.entries({
      good: { url: `http://${ALLOWED}:${receiverPort}/ok` },
      failing: { url: `http://${ALLOWED}:${receiverPort}/fail` },
      redirecting: { url: `http://${ALLOWED}:${receiverPort}/redirect` },
      closed: { url: `http://${ALLOWED}:${closedPort}/` },
      'refusing mx': email(ALLOWED, refusingMx.port),
      'not smtp': email(ALLOWED, sshPort),
    })) {
      const r = await createChannel(name, settings);
      expect(r.status, name).toBe(201);
      channels[name] = r.body.data.channel.id;
    }

    const host = await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'egress-host' } });
    const p = await m.problems.open({
      hostId: host.body.data.id,
      triggerRef: 'test:egress',
      templateId: null,
      name: 'egress',
      severity: 'high',
      expression: 'test',
      value: 1,
      suppressed: false,
    });
    await m.notifier.enqueue({ event: 'problem', severity: 'high', problemId: p!.id, body: { test: true } });
    const ours = new Set(Object.values(channels));

    // As a viewer reads the delivery log.
    const viewer = await t.userSession('viewer');
    let settled: any[] = [];
    await until(
      'every delivery settled',
      async () => {
        const r = await t.call('GET', `/api/v1/notification-deliveries?problem_id=${p!.id}&limit=100`, { headers: viewer.auth });
        expect(r.status).toBe(200);
        settled = (r.body.data as any[]).filter((d) => ours.has(d.channel_id));
        return settled.length === Object.keys(channels).length && settled.every((d) => d.state !== 'pending');
      },
      30_000,
    );
    const outcome = (name: string) => {
      const d = settled.find((x) => x.channel_id === channels[name]);
      return { state: d.state, last_status: d.last_status, last_error: d.last_error };
    };

    expect(internalHits).toEqual([]);
    const forbidden = { state: 'failed', last_status: null, last_error: 'target address forbidden by egress policy' };
    expect(outcome('internal by address')).toEqual(forbidden);
    expect(outcome('internal by name')).toEqual(forbidden);
    expect(outcome('internal mail')).toEqual(forbidden);

    expect(outcome('good')).toEqual({ state: 'delivered', last_status: 204, last_error: null });
    expect(outcome('failing')).toEqual({ state: 'failed', last_status: 500, last_error: 'HTTP 500' });
    expect(outcome('redirecting')).toEqual({ state: 'failed', last_status: 302, last_error: 'HTTP 302 (redirects are not followed)' });
    expect(receiverHits.sort()).toEqual(['/fail', '/ok', '/redirect']);
    expect(outcome('closed')).toEqual({ state: 'failed', last_status: null, last_error: 'connection refused' });
    expect(outcome('refusing mx')).toEqual({ state: 'failed', last_status: null, last_error: 'SMTP server refused to CONN: 554' });
    expect(outcome('not smtp')).toEqual({ state: 'failed', last_status: null, last_error: 'not an SMTP server (unexpected greeting)' });
    expect(JSON.stringify(settled)).not.toMatch(/secret-/);
  });
});
