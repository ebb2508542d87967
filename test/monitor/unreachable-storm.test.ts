/**
 * Many agents unreachable at once (a network cut, a fleet imported with old contact times): the
 * sweep opens one "agent unreachable" problem per host, a server stopping mid-sweep does not wait
 * for the rest, and the next server finishes it without opening any problem twice; the summary
 * route counts them all. Real Postgres
 * (PGlite when DATABASE_URL is unset).
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { UNREACHABLE_REF } from '../../server/monitor/monitor.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { insertActiveAgents, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

const AGENTS = 1500;
const ENV = { AW_MONITOR_UNREACHABLE_S: '5', AW_MONITOR_NODATA_TICK_MS: '200' };

describe('agent unreachable, for many agents at once', () => {
  let first: TestServer | undefined;
  let second: ApiServer | undefined;
  afterAll(async () => {
    await second?.close();
    await first?.testDb.close();
    if (first) rmSync(first.dataDir, { recursive: true, force: true });
  });

  it('a stop mid-sweep is not held up; the next server opens the rest, none twice', async () => {
    first = await startTestServer(ENV);
    const db = first.server.deps.db;
    await insertActiveAgents(db, AGENTS, 'gone-', "now() - interval '1 hour'");
    const open = async () =>
      Number(
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM monitor_problems WHERE trigger_ref = $1 AND resolved_at IS NULL`, [UNREACHABLE_REF]))
          .rows[0].n,
      );

    await until('the sweep under way', async () => (await open()) > 0, 30_000);
    await first.server.stop(); // the database stays open: the second server uses it
    const atStop = await open();
    expect(atStop).toBeGreaterThan(0);
    expect(atStop).toBeLessThan(AGENTS);

    second = await startApiServer(ENV, { db });
    await until('every host has its problem', async () => (await open()) === AGENTS, 60_000);
    const perHost = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM monitor_problems WHERE trigger_ref = $1 GROUP BY host_id HAVING count(*) > 1`,
      [UNREACHABLE_REF],
    );
    expect(perHost.rows).toEqual([]);
    // The overview's counts come from the database, not from a page of rows.
    const summary = await second.call('GET', '/api/v1/problems/summary', { headers: second.admin.auth });
    expect(summary.status, JSON.stringify(summary.body)).toBe(200);
    expect(summary.body.data).toEqual({ open: AGENTS, by_severity: { high: AGENTS } });
  }, 120_000);
});
