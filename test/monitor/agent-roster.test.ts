/**
 * The monitor's timer and a large fleet: the active agents are read from the database once their copy
 * is 1 ms old per agent (not every tick), and an old copy never makes a live agent look unreachable:
 * before raising, the timer reads the agents again. Real Postgres (PGlite when DATABASE_URL is unset);
 * the spy on db.query only counts the reads and passes every query through.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UNREACHABLE_REF } from '../../server/monitor/monitor.js';
import { insertActiveAgents, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

const AGENTS = 6000; // the copy lives 6 s: longer than the 3 s unreachable window
const ENV = { AW_MONITOR_UNREACHABLE_S: '3', AW_MONITOR_NODATA_TICK_MS: '100' };
const ROSTER_READ = "FROM agents WHERE state = 'active'";

describe('the monitor timer with thousands of agents', () => {
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.server.stop();
    await t?.testDb.close();
    if (t) rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('reads the agents far less often than it ticks, and raises no live agent from an old copy', async () => {
    t = await startTestServer(ENV);
    const db = t.server.deps.db;
    // Agents other nodes hold: their last contact is what the database says (flushed every second here).
    await insertActiveAgents(db, AGENTS, 'roster-', 'now()');
    const query = vi.spyOn(db, 'query');
    const reads = () => query.mock.calls.filter(([sql]) => sql.includes(ROSTER_READ)).length;
    await until('the timer has read the new agents', async () => reads() > 0, 10_000);

    const start = reads();
    for (let s = 0; s < 10; s++) {
      await db.query(`UPDATE agents SET last_seen_at = now() WHERE state = 'active'`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const open = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM monitor_problems WHERE trigger_ref = $1 AND resolved_at IS NULL`, [
      UNREACHABLE_REF,
    ]);
    expect(open.rows[0].n).toBe(0);
    // ~100 ticks in 10 s; every tick read them before. Now a read every 6 s, plus one each time the old
    // copy would have called them gone (every ~3 s).
    const during = reads() - start;
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(10);
    query.mockRestore();
  }, 60_000);
});
