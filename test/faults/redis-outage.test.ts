/**
 * Redis unreachable: a node in cluster mode keeps serving its own agents (frames acknowledged, points
 * stored, the API answering), and says so in its health; when Redis returns it rejoins. The server
 * reaches the real Redis through a TCP relay the test cuts, so other test files keep theirs.
 */
import { afterAll, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { enrollAgent } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

needs('redis').describe('Redis outage', () => {
  let t: ApiServer;
  let proxy: TcpProxy;
  let runtime: AgentRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    await t?.close();
    await proxy?.close();
  });

  it('keeps serving its own agents and reports the cause, then rejoins', async () => {
    const real = new URL(process.env.REDIS_URL!);
    proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port || 6379) });
    t = await startApiServer({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1' });
    const health = async () => (await t.call('GET', '/api/v1/health')).body.data as any;
    await until('the cluster check up', async () => (await health()).checks.cluster?.ok === true);

    const agent = await enrollAgent(t, 'redis-outage');
    let produced = 0;
    runtime = testRuntime(t.ws, agent, {
      collect: async (now) => [{ name: 'test.seq', t: now, v: ++produced }],
    });
    runtime.start();
    await until('the agent connected', () => runtime!.connected && produced >= 2);

    await proxy.cut();
    await until('the outage noticed', async () => (await health()).checks.cluster?.ok === false);
    const h = await health();
    expect(h.status).toBe('degraded');
    expect(h.checks.cluster.detail).toMatch(/redis unreachable.*serves its own agents/);
    expect(h.checks.database.ok).toBe(true);

    // Its own agent still sends and is stored; the API still answers, online state from this node.
    const before = produced;
    const stored = async () => {
      const res = await t.call('GET', `/api/v1/hosts/${agent.hostId}/metrics?name=test.seq&from=${Date.now() - 120_000}`, { headers: t.admin.auth });
      return ((res.body.data?.series?.[0]?.points ?? []) as Array<{ max: number }>).map((p) => p.max);
    };
    await until('points made during the outage stored', async () => (await stored()).some((v) => v > before + 2));
    const listed = await t.call('GET', '/api/v1/agents', { headers: t.admin.auth });
    expect(listed.status).toBe(200);
    expect(listed.body.data.find((a: any) => a.id === agent.agentId).online).toBe(true);

    await proxy.restore();
    await until('rejoined', async () => (await health()).status === 'ok');
  }, 90_000);
});
