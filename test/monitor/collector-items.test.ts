/**
 * Template collector items through real parts: a server on Postgres, the agent runtime with the
 * real built-in collectors over this machine's /proc, real WebSockets. A template runs the cpu
 * collector every 2 s on a host whose agent's default interval is 60 s; the agent applies it without a
 * restart; after a reconnect its hello names the version it runs and the server does not send the
 * monitoring part again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import type { AgentRuntime } from '../../agent/runtime.js';
import { createMetricCollector } from '../../agent/collect/metrics/metric-collector.js';
import type { ConfigMessage } from '../../protocol/messages.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { enrollAgent, type EnrolledAgent } from '../support/server.js';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

const DEFAULT_INTERVAL_S = 60;

describe('template collector items', () => {
  let t: ApiServer;
  let runtime: AgentRuntime | undefined;
  let agent: EnrolledAgent;
  const configs: ConfigMessage[] = [];

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: String(DEFAULT_INTERVAL_S) });
    agent = await enrollAgent(t, 'collector-host');
  });
  afterAll(async () => {
    await runtime?.stop();
    await t?.close();
  });

  const makeTemplate = (name: string, items: unknown[]) => t.call('POST', '/api/v1/templates', { headers: t.admin.auth, body: { name, items, triggers: [] } });
  const link = (templateId: string, hostId: string) => t.call('PUT', `/api/v1/templates/${templateId}/hosts/${hostId}`, { headers: t.admin.auth });
  /** Stored times of a metric's series with these labels (buckets of a few ms over this range). */
  const storedTimes = async (name: string, labels: Record<string, string>) => {
    const series = await t.server.deps.metrics.query({
      hostId: agent.hostId,
      name,
      labels,
      from: Date.now() - 10 * 60_000,
      to: Date.now() + 60_000,
      maxPoints: 10_000,
    });
    return (series[0]?.points ?? []).map((p) => p.t);
  };

  it('refuses an unknown collector with 400 naming the field, and stores nothing', async () => {
    const bad = await makeTemplate('gpu watch', [{ key: 'gpu', type: 'collector', collector: 'gpu', interval_s: 2 }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error?.details?.field).toBe('body.items[0].collector');
    expect(bad.body.error?.message).toMatch(/unknown collector "gpu".*cpu, memory/);
    const list = await t.call('GET', '/api/v1/templates?limit=1000', { headers: t.admin.auth });
    expect(list.body.data.map((x: any) => x.name)).not.toContain('gpu watch');
  });

  it('a cpu collector item at 2 s reaches the running agent: cpu points at ~2 s, the rest stays at the default interval', async () => {
    const collector = createMetricCollector();
    runtime = testRuntime(t.ws, agent, {
      hello: { agentVersion: 'test', hostname: 'collector-host' },
      collect: (now, only) => collector.collect(now, only),
      onConfig: (c) => configs.push(c),
      intervalS: DEFAULT_INTERVAL_S,
    });
    runtime.start();
    await until('agent connected', () => t.server.deps.gateway.isOnline(agent.agentId));

    // Two templates name cpu; the shorter interval wins.
    const fast = await makeTemplate('fast cpu', [{ key: 'cpu_fast', type: 'collector', collector: 'cpu', interval_s: 2 }]);
    const slow = await makeTemplate('slow cpu', [{ key: 'cpu_slow', type: 'collector', collector: 'cpu', interval_s: 30 }]);
    expect(fast.status, JSON.stringify(fast.body)).toBe(201);
    expect((await link(slow.body.data.id, agent.hostId)).status).toBe(200);
    expect((await link(fast.body.data.id, agent.hostId)).status).toBe(200);
    const monitoring = await t.call('GET', `/api/v1/hosts/${agent.hostId}/monitoring`, { headers: t.admin.auth });
    expect(monitoring.body.data.collectors).toEqual([{ name: 'cpu', intervalS: 2 }]);
    const version = monitoring.body.data.version;
    await until('agent runs the new version', () => configs.some((c) => c.version === version));
    expect(configs.find((c) => c.version === version)?.monitoring).toMatchObject({ collectors: [{ name: 'cpu', intervalS: 2 }] });

    // cpu.usage_pct needs two rounds for a rate; wait for four points, then look at their spacing.
    await until('cpu points', async () => (await storedTimes('cpu.usage_pct', { cpu: 'total' })).length >= 4, 60_000);
    const cpu = await storedTimes('cpu.usage_pct', { cpu: 'total' });
    const last3 = cpu.slice(-3);
    // Three points within 10 s: at the default 60 s interval there would be at most one.
    expect(last3[2] - last3[0]).toBeLessThanOrEqual(10_000);
    expect(last3[1] - last3[0]).toBeGreaterThanOrEqual(1_000);
    // Collectors no template names keep the default interval: at most one memory point in the same stretch.
    const mem = await storedTimes('mem.used_bytes', {});
    expect(mem.filter((m) => m >= last3[0] - 1_000 && m <= last3[2] + 1_000).length).toBeLessThanOrEqual(1);
  });

  it('after a reconnect the hello names the version the agent runs: config comes without the monitoring part', async () => {
    const before = configs.length;
    const version = configs[configs.length - 1].version;
    // The server drops the session; the agent reconnects by itself.
    t.server.deps.gateway.dropSession(agent.agentId, 'test reconnect', Date.now() + 1);
    await until('config after reconnect', () => configs.length > before);
    const again = configs[configs.length - 1];
    expect(again).toMatchObject({ state: 'active', version, intervalS: DEFAULT_INTERVAL_S });
    expect(again).not.toHaveProperty('monitoring');
    // The agent keeps its 2 s cpu round.
    const n = (await storedTimes('cpu.usage_pct', { cpu: 'total' })).length;
    await until('cpu points go on', async () => (await storedTimes('cpu.usage_pct', { cpu: 'total' })).length >= n + 2, 30_000);
  });

  it('hello with the current version: no monitoring sent; a stale or missing version: the full configuration', async () => {
    const other = await enrollAgent(t, 'hello-host');
    const tpl = await makeTemplate('hello cpu', [{ key: 'c', type: 'collector', collector: 'load', interval_s: 5 }]);
    expect((await link(tpl.body.data.id, other.hostId)).status).toBe(200);
    const current = (await t.call('GET', `/api/v1/hosts/${other.hostId}/monitoring`, { headers: t.admin.auth })).body.data.version as string;

    const firstConfig = async (configVersion?: string) => {
      const l = new AgentLink({
        url: t.ws,
        credentials: { agentId: other.agentId, secret: other.secret },
        hello: { agentVersion: 'test', hostname: 'hello-host', ...(configVersion === undefined ? {} : { configVersion }) },
      });
      try {
        return await new Promise<ConfigMessage>((resolve, reject) => {
          l.once('config', resolve);
          l.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
        });
      } finally {
        l.close();
      }
    };
    const same = await firstConfig(current);
    expect(same).toMatchObject({ state: 'active', version: current });
    expect(same).not.toHaveProperty('monitoring');
    const stale = await firstConfig('0123456789abcdef');
    expect(stale.monitoring).toMatchObject({ collectors: [{ name: 'load', intervalS: 5 }] });
    // An agent that does not say (older agents) gets the full configuration, as before.
    const old = await firstConfig();
    expect(old).toMatchObject({ version: current, monitoring: { items: [], collectors: [{ name: 'load', intervalS: 5 }] } });
  });
});
