/**
 * An acknowledged point survives the process being killed (SIGKILL: no checkpoint, no close): a child
 * process writes to the real Postgres server and reports each acknowledged write; the test kills it at a
 * random moment, opens the store again under the same writer name, and finds every acknowledged point
 * stored once, in raw points and in the rollups. Needs DATABASE_URL (PGlite cannot be shared between two
 * processes; the in-process variant in chunk-store.test.ts runs on both).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { PostgresMetricStore } from '../../server/store/postgres/chunk-store.js';
import { parseTiers } from '../../server/store/series/tiers.js';
import { needs } from '../support/requires.js';
import { openTestDb, type TestDb } from '../support/test-db.js';

needs('postgres').describe('metric store killed mid-write', () => {
  let testDb: TestDb;
  afterAll(async () => {
    await testDb?.close();
  });

  it('keeps every acknowledged point, counted once, after SIGKILL and restart', async () => {
    testDb = await openTestDb();
    const writer = `crash-${randomUUID()}`;
    const host = randomUUID();
    // Recent points, so the kill finds open chunk heads in memory (behind snapshot rows) as well as written ones.
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 60_000;
    await PostgresMetricStore.open(testDb.db, {
      tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
      writer: 'setup',
      checkpointMs: 1e9,
      checkpointPoints: 1e9,
      maxSeriesPerHost: 10,
    }).then((s) => s.close());
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/metrics/crash-writer.ts', testDb.url!, writer, host, String(start)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = 0;
    const killAfter = 40 + Math.floor(Math.random() * 40);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () => resolve());
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^ack (\d+) \d+$/.exec(line);
        if (!m) return;
        acked = Number(m[1]);
        if (acked === killAfter) child.kill('SIGKILL');
      });
    });
    expect(acked).toBeGreaterThanOrEqual(killAfter);

    const store = await PostgresMetricStore.open(testDb.db, {
      tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
      writer,
      checkpointMs: 1e9,
      checkpointPoints: 1e9,
      maxSeriesPerHost: 10,
    });
    const n = acked * 10;
    const to = start + 3_600_000 - 1;
    for (const [name, factor] of [
      ['crash.seq', 1],
      ['crash.twice', 2],
    ] as const) {
      const raw = await store.query({ hostId: host, name, from: start, to, maxPoints: 100_000 });
      const values = raw[0].points.map((p) => p.max);
      // Every acknowledged point, in order, once; a write in flight at the kill may have landed too.
      expect(values.slice(0, n)).toEqual(Array.from({ length: n }, (_, i) => i * factor));
      const stored = values.length;
      expect(values).toEqual(Array.from({ length: stored }, (_, i) => i * factor));
      // The rollups count exactly the stored points: nothing lost, nothing counted twice.
      const minutes = await store.query({ hostId: host, name, from: start, to, maxPoints: 60 });
      expect(minutes[0].tier).toBe('1m');
      expect(minutes[0].points.reduce((a, p) => a + p.count, 0)).toBe(stored);
      expect(Math.max(...minutes[0].points.map((p) => p.max))).toBe((stored - 1) * factor);
    }
    await store.close();
  }, 60_000);
});
