/** The agent against a real server that goes away and comes back: nothing lost, nothing twice. */
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { enrollAgent, startTestServer, type TestServer } from '../support/server.js';
import { AFTER_SHUTDOWN_CAP_MS, backoffDelay, reconnectDelay, SHUTDOWN_SPREAD_MS } from '../../agent/reconnect-delay.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

describe('backoff', () => {
  it('is full jitter: uniform below an exponentially growing cap', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(0);
  });
  it('spreads reconnects over a wide window after a server shutdown, then backs off as usual', () => {
    expect(reconnectDelay(CloseCode.SERVER_SHUTDOWN, 0, 1000, 60_000, () => 0.999)).toBe(Math.floor(0.999 * SHUTDOWN_SPREAD_MS));
    expect(reconnectDelay(CloseCode.SERVER_SHUTDOWN, 2, 1000, 60_000, () => 0.5)).toBe(2000);
    expect(reconnectDelay(1006, 0, 1000, 60_000, () => 0.999)).toBe(999);
    // While the replacement starts, retries stay frequent.
    expect(reconnectDelay(1006, 8, 1000, 60_000, () => 0.999, true)).toBe(Math.floor(0.999 * AFTER_SHUTDOWN_CAP_MS));
  });
});

describe('agent runtime', () => {
  let t: TestServer;
  let second: RunningServer | undefined;
  afterAll(async () => {
    await second?.stop();
    await t?.close();
  });

  it('spools while the server is down and replays after reconnecting, storing each point once', async () => {
    t = await startTestServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1' });
    const port = t.server.port;
    const enrolled = await enrollAgent(t);
    let produced = 0;
    const runtime = testRuntime(t.ws, enrolled, {
      // One point per collection with a distinct value, so the store's contents can be checked exactly.
      collect: async (now) => [{ name: 'test.counter', t: now, v: ++produced }],
    });
    let connects = 0;
    runtime.on('connected', () => connects++);
    runtime.start();
    const stored = async () => {
      // The live server's store: another process's newest points reach the database at its checkpoints.
      const s = await (second ?? t.server).deps.metrics.query({
        hostId: enrolled.hostId,
        name: 'test.counter',
        from: 0,
        to: Date.now() + 60_000,
        maxPoints: 10_000,
      });
      return s[0]?.points ?? [];
    };
    await until('first points stored', async () => (await stored()).length >= 2);

    // The server goes away; the agent keeps collecting into its spool.
    await t.server.stop();
    const before = produced;
    await until('three batches spooled while down', () => produced >= before + 3);
    expect(runtime.connected).toBe(false);

    // A new server process on the same port and database.
    second = await startServer(loadConfig({ PORT: String(port), DATA_DIR: t.dataDir, AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1' }), {
      db: t.testDb.db,
      log: createLogger('silent'),
    });
    await until('reconnected', () => connects >= 2);
    const target = produced;
    await until('every produced point stored', async () => (await stored()).filter((p) => p.max <= target).length >= target);
    await runtime.stop();

    const points = await stored();
    const values = points.map((p) => p.max).sort((a, b) => a - b);
    // Each value 1..n exactly once: no loss across the outage, no duplicate from resends.
    expect(values.slice(0, target)).toEqual(Array.from({ length: target }, (_, i) => i + 1));
    expect(points.every((p) => p.count === 1)).toBe(true);
  }, 120_000);
});
