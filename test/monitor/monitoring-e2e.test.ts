/**
 * Monitoring end to end with real parts: a server, a real agent process (agent/main.ts) running
 * Debian's check_tcp plugin, a real TCP service that goes down and comes back, and a webhook
 * receiver that checks signatures. Then the agent is killed and "agent unreachable" must follow
 * within the configured window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEnrollmentToken } from '../../server/auth/enrollment.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { MONITORING_PLUGINS_DIR, needs } from '../support/requires.js';
import { freePort } from '../support/server.js';

const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

interface Received {
  event: string;
  body: any;
  signatureValid: boolean;
}

const UNREACHABLE_S = 3;

needs('monitoring-plugins').describe('monitoring end to end', () => {
  let t: ApiServer;
  let agent: ChildProcess | undefined;
  let service: Server | undefined;
  let receiver: HttpServer;
  const stateDir = mkdtempSync(join(tmpdir(), 'aw-agent-'));
  const received: Received[] = [];
  let webhookSecret = '';
  let failNext = 1; // the receiver refuses the first delivery: it must be retried
  let servicePort = 0;
  let hostId = '';
  let problemId = '';

  const openService = async () => {
    service = createNetServer((s) => s.end());
    await new Promise<void>((r) => service!.listen(servicePort, '127.0.0.1', r));
  };

  beforeAll(async () => {
    t = await startApiServer({
      AW_MONITOR_UNREACHABLE_S: String(UNREACHABLE_S),
      AW_MONITOR_NODATA_TICK_MS: '250',
      AW_MONITOR_DELIVERY_BACKOFF_MS: '200',
      AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8',
    });
    receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end();
          return;
        }
        const sig = String(req.headers['x-autowatch-signature'] ?? '');
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
        const valid = !!m && createHmac('sha256', webhookSecret).update(`${m[1]}.${raw}`).digest('hex') === m[2];
        received.push({ event: String(req.headers['x-autowatch-event']), body: JSON.parse(raw), signatureValid: valid });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    servicePort = await freePort();
    await openService();
  });

  afterAll(async () => {
    agent?.kill('SIGKILL');
    service?.close();
    receiver?.close();
    await t?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a check_tcp template reaches the agent; port down -> problem + signed webhook; ack; port up -> recovery', async () => {
    const hook = await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: { name: 'test receiver', kind: 'webhook', settings: { url: `http://127.0.0.1:${(receiver.address() as any).port}/hook` }, min_severity: 'warning' },
    });
    expect(hook.status).toBe(201);
    webhookSecret = hook.body.data.secret;

    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: {
        name: 'service port',
        items: [{ key: 'svc_tcp', type: 'plugin', command: 'check_tcp', args: ['-H', '127.0.0.1', '-p', String(servicePort)], interval_s: 1, timeout_s: 1 }],
        triggers: [
          { key: 'svc_down', name: 'Service port closed', severity: 'high', expression: 'last(svc_tcp.status) >= 2', recovery: 'last(svc_tcp.status) = 0' },
        ],
      },
    });
    expect(tpl.status).toBe(201);

    // A real agent process, enrolled with a token, running plugins from Debian's folder.
    const token = await createEnrollmentToken(t.server.deps.db, { createdBy: 'test', autoApprove: true });
    agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/main.ts',
        '--server',
        t.ws,
        '--token',
        token.token,
        '--state-dir',
        stateDir,
        '--interval',
        '5',
        '--hostname',
        'mon-e2e',
        '--plugin-dir',
        MONITORING_PLUGINS_DIR,
        '--log-level',
        'warn',
      ],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const enrolled = await until(
      'agent enrolled',
      async () =>
        (
          await t.server.deps.db.query<{ id: string; host_id: string }>(
            `SELECT id::text AS id, host_id::text AS host_id FROM agents WHERE hostname = 'mon-e2e'`,
          )
        ).rows[0],
    );
    hostId = enrolled.host_id;
    await until('agent connected', async () => t.server.deps.gateway.isOnline(enrolled.id), 60_000);

    const link = await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${hostId}`, { headers: t.admin.auth });
    expect(link.status, JSON.stringify(link.body)).toBe(200);
    const config = await t.call('GET', `/api/v1/hosts/${hostId}/monitoring`, { headers: t.admin.auth });
    expect(config.body.data.items.map((i: any) => i.key)).toEqual(['svc_tcp']);

    // The agent got the pushed config without a restart: check_tcp results arrive, OK while the port listens.
    const status = async () => {
      const r = await t.call('GET', `/api/v1/hosts/${hostId}/metrics?name=svc_tcp.status&from=-5m`, { headers: t.admin.auth });
      return (r.body.data.series[0]?.points ?? []) as Array<{ t: number; max: number }>;
    };
    await until('check_tcp results', async () => (await status()).length > 0);
    expect((await status()).every((p) => p.max === 0)).toBe(true);
    const timeMetric = await t.call('GET', `/api/v1/hosts/${hostId}/metric-names`, { headers: t.admin.auth });
    expect(timeMetric.body.data).toEqual(expect.arrayContaining(['svc_tcp.status', 'svc_tcp.duration_ms', 'svc_tcp.time']));

    // Port closed -> a problem, once, and a signed webhook (after one refused attempt).
    await new Promise((r) => service!.close(r));
    const problem = await until('problem opened', async () => {
      const r = await t.call('GET', `/api/v1/problems?open=true&host_id=${hostId}`, { headers: t.admin.auth });
      return r.body.data.find((p: any) => p.name === 'Service port closed');
    });
    problemId = problem.id;
    expect(problem).toMatchObject({ severity: 'high', value: 2, resolved_at: null, suppressed: false });
    const problemHook = await until('problem webhook', async () => received.find((r) => r.event === 'problem'));
    expect(problemHook.signatureValid).toBe(true);
    expect(problemHook.body).toMatchObject({
      event: 'problem',
      problem: { id: problemId, name: 'Service port closed' },
      host: { id: hostId, hostname: 'mon-e2e' },
    });
    const deliveries = await t.call('GET', `/api/v1/notification-deliveries?problem_id=${problemId}`, { headers: t.admin.auth });
    expect(deliveries.body.data[0]).toMatchObject({ event: 'problem', state: 'delivered', attempts: 2, last_status: 204 });

    // Still down for a few more results: not raised again.
    await new Promise((r) => setTimeout(r, 2500));
    const all = await t.call('GET', `/api/v1/problems?host_id=${hostId}`, { headers: t.admin.auth });
    expect(all.body.data.filter((p: any) => p.name === 'Service port closed')).toHaveLength(1);
    expect(received.filter((r) => r.event === 'problem')).toHaveLength(1);

    // Acknowledged with a comment: recorded on the problem and its incident.
    const ack = await t.call('POST', `/api/v1/problems/${problemId}/acknowledge`, { headers: t.admin.auth, body: { comment: 'looking at it' } });
    expect(ack.status).toBe(200);
    expect(ack.body.data.acknowledged_by).toBe('user:root');
    const detail = await t.call('GET', `/api/v1/problems/${problemId}`, { headers: t.admin.auth });
    expect(detail.body.data.timeline.map((e: any) => [e.kind, e.comment])).toEqual([
      ['problem', ''],
      ['acknowledge', 'looking at it'],
    ]);
    await until('ack webhook', async () => received.find((r) => r.event === 'acknowledge'));

    // Port back -> recovery, incident resolved by itself.
    await openService();
    await until('recovery', async () => {
      const r = await t.call('GET', `/api/v1/problems/${problemId}`, { headers: t.admin.auth });
      return r.body.data.problem.resolved_at !== null;
    });
    const recoveryHook = await until('recovery webhook', async () => received.find((r) => r.event === 'recovery'));
    expect(recoveryHook.signatureValid).toBe(true);
    const incident = await t.call('GET', `/api/v1/incidents/${problem.incident_id}`, { headers: t.admin.auth });
    expect(incident.body.data.incident.state).toBe('resolved');
    // The priority set when the incident opened (docs/itil.md) is a step of its own, written beside these.
    const timeline = incident.body.data.timeline as any[];
    expect(timeline.filter((e) => e.kind === 'priority')).toHaveLength(1);
    const steps = timeline.filter((e) => e.kind !== 'priority');
    expect(steps.map((e) => e.kind)).toEqual(['opened', 'state', 'problem_recovered', 'state']);
    expect(steps[1]).toMatchObject({ from_state: 'open', to_state: 'acknowledged', comment: 'looking at it', actor: 'user:root' });
    const close = await t.call('POST', `/api/v1/incidents/${problem.incident_id}/transitions`, {
      headers: t.admin.auth,
      body: { to: 'closed', comment: 'fixed' },
    });
    expect(close.body.data.state).toBe('closed');
    const again = await t.call('POST', `/api/v1/incidents/${problem.incident_id}/transitions`, { headers: t.admin.auth, body: { to: 'open' } });
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('INCIDENT_BAD_TRANSITION');
  }, 120_000);

  it('a killed agent is an "agent unreachable" problem within the configured window', async () => {
    expect(agent).toBeDefined();
    const killedAt = Date.now();
    agent!.kill('SIGKILL');
    const problem = await until(
      'agent unreachable problem',
      async () => {
        const r = await t.call('GET', `/api/v1/problems?open=true&host_id=${hostId}`, { headers: t.admin.auth });
        return r.body.data.find((p: any) => p.trigger_ref === 'agent.unreachable');
      },
      30_000,
    );
    const tookS = (Date.now() - killedAt) / 1000;
    expect(problem).toMatchObject({ name: 'Agent unreachable', severity: 'high' });
    expect(tookS).toBeGreaterThanOrEqual(UNREACHABLE_S - 0.5);
    // Window plus one timer period and scheduling slack on a loaded machine.
    expect(tookS).toBeLessThan(UNREACHABLE_S + 5);
    await until('unreachable webhook', async () => received.find((r) => r.event === 'problem' && r.body.problem.trigger_ref === 'agent.unreachable'));
  }, 60_000);
});
