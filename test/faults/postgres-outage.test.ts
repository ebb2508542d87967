/**
 * Postgres unreachable under load: the server reaches its real Postgres through a TCP relay the test
 * cuts (connections reset, new ones refused) and restores. Agents keep being acknowledged from the
 * local outage queue, health names the cause, the API answers 503 with a code, and after the
 * database returns every acknowledged point is stored exactly once. Needs a Postgres server
 * (DATABASE_URL); with the embedded PGlite there is no connection to lose.
 */
import { afterAll, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import { Spool } from '../../agent/spool.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { needs } from '../support/requires.js';
import { enrollAgent, freePort, type TestServer } from '../support/server.js';
import { openTestDb, type TestDb } from '../support/test-db.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

const OUTAGE_MS = Number(process.env.AW_TEST_OUTAGE_MS ?? 8000);
const AGENTS = 5;

needs('postgres').describe('Postgres outage under load', () => {
  let testDb: TestDb;
  let proxy: TcpProxy;
  let server: RunningServer | undefined;
  let dataDir: string;
  const runtimes: AgentRuntime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await proxy?.restore();
    await server?.stop();
    await proxy?.close();
    await testDb?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`acknowledged points survive ${OUTAGE_MS / 1000} s without Postgres, stored once each`, async () => {
    testDb = await openTestDb();
    const direct = new URL(testDb.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(direct);
    relayed.port = String(proxy.port);
    dataDir = mkdtempSync(join(tmpdir(), 'aw-outage-test-'));
    server = await startServer(
      loadConfig({
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        DATABASE_URL: relayed.toString(),
        AW_AUTO_APPROVE: 'true',
        AW_AGENT_INTERVAL_S: '1',
        AW_BOOTSTRAP_ADMIN: 'false',
      }),
      { log: createLogger(process.env.AW_TEST_LOG ?? 'silent') },
    );
    const t = {
      server,
      testDb,
      dataDir,
      http: `http://127.0.0.1:${server.port}`,
      ws: `ws://127.0.0.1:${server.port}/agent`,
      close: async () => {},
    } satisfies TestServer;

    const produced = new Map<string, number>();
    const spools: Spool[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const enrolled = await enrollAgent(t, `outage-${i}`);
      const spool = new Spool({ memoryBatches: 1000, maxFileBytes: 1e6 });
      spools.push(spool);
      produced.set(enrolled.hostId, 0);
      const runtime = testRuntime(t.ws, enrolled, {
        hello: { agentVersion: 'test', hostname: `outage-${i}` },
        spool,
        collect: async (now) => {
          const n = produced.get(enrolled.hostId)! + 1;
          produced.set(enrolled.hostId, n);
          return [{ name: 'test.seq', t: now, v: n }];
        },
      });
      runtime.start();
      runtimes.push(runtime);
    }
    await until('every agent sending', () => [...produced.values()].every((n) => n >= 2));

    // The database goes away.
    await proxy.cut();
    const cutAt = Date.now();
    const producedAtCut = [...produced.values()].reduce((a, b) => a + b, 0);
    await until('the outage noticed', () => server!.deps.outage!().down, 15_000);
    const health = (await (await fetch(`${t.http}/api/v1/health`)).json()) as any;
    expect(health.data.status).toBe('degraded');
    expect(health.data.checks.database.ok).toBe(false);
    expect(health.data.checks.metric_store.ok).toBe(false);
    expect(health.data.checks.metric_store.detail).toMatch(/queued locally/);
    // A route that needs the database says so, with a code a caller can act on.
    const agentsAnswer = await fetch(`${t.http}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'not-checked-while-down' }),
    });
    expect(agentsAnswer.status).toBe(503);
    expect(((await agentsAnswer.json()) as any).error.code).toBe('DATABASE_UNAVAILABLE');

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
    // Agents were acknowledged all along: their spools did not grow with the outage.
    const producedDuring = [...produced.values()].reduce((a, b) => a + b, 0) - producedAtCut;
    expect(producedDuring).toBeGreaterThanOrEqual(AGENTS * Math.floor(OUTAGE_MS / 1000) - AGENTS * 2);
    expect(spools.every((s) => s.size <= 2)).toBe(true);
    expect(server.deps.outage!().queuedRecords).toBeGreaterThan(0);

    // The database returns: the queue replays, and nothing acknowledged is missing or doubled.
    await proxy.restore();
    await until('the outage queue replayed', () => server!.deps.outage!().queuedRecords === 0 && !server!.deps.outage!().down);
    const targets = new Map(produced);
    const stored = async (hostId: string) =>
      (await server!.deps.metrics.query({ hostId, name: 'test.seq', from: 0, to: Date.now() + 60_000, maxPoints: 100_000 }))[0]?.points ?? [];
    await until('every point produced so far stored', async () => {
      for (const [hostId, n] of targets) if ((await stored(hostId)).filter((p) => p.max <= n).length < n) return false;
      return true;
    });
    await Promise.all(runtimes.map((r) => r.stop()));
    runtimes.length = 0;
    for (const [hostId, n] of targets) {
      const points = await stored(hostId);
      const values = points
        .map((p) => p.max)
        .filter((v) => v <= n)
        .sort((a, b) => a - b);
      expect(values).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(points.every((p) => p.count === 1)).toBe(true);
    }
    expect(((await (await fetch(`${t.http}/api/v1/health`)).json()) as any).data.status).toBe('ok');
  }, 120_000);
});
