/**
 * Memory (JS heap plus array buffers) per point held in memory between checkpoints (server/store/series/pending-points.ts):
 * 100,000 series x 30 points at 10 s (5 minutes of a 5,000-agent fleet), values like the store bench's
 * mix (gauges with one decimal, byte counts, constants, counters). Run with
 * `node --expose-gc --import tsx bench/pending-memory.bench.ts [series] [points]`.
 */
import { PendingPoints } from '../server/store/series/pending-points.js';
import { RAW_CHUNK_MS } from '../server/store/series/tiers.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const series = Number(process.argv[2] ?? 100_000);
const perSeries = Number(process.argv[3] ?? 30);
const start = Date.UTC(2026, 0, 5, 0, 30);

const value = (id: number, i: number): number => {
  switch (id % 10) {
    case 0: case 1: case 2: case 3: return Math.round(Math.abs(Math.sin(id + i / 7)) * 1000) / 10;
    case 4: case 5: case 6: return 2 ** 30 + ((id * 7919 + i * 4096) % 2 ** 20);
    case 7: case 8: return 4096;
    default: return id * 1000 + i * 1234;
  }
};

gc();
// Typed arrays keep their bytes outside the JS heap: count both.
const held = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const before = held();
const pending = new PendingPoints(RAW_CHUNK_MS);
// Agents send every series of a host each interval: points arrive interval by interval.
for (let i = 0; i < perSeries; i++) {
  for (let id = 1; id <= series; id++) pending.add(id, start + i * 10_000 + (id % 1000), value(id, i));
}
gc();
const used = held() - before;
const points = series * perSeries;
console.log(JSON.stringify({ series, points_per_series: perSeries, points, memory_mb: +(used / 2 ** 20).toFixed(1), bytes_per_point: +(used / points).toFixed(1), bytes_per_series: Math.round(used / series) }));
if (pending.size !== points) throw new Error(`held ${pending.size} points, expected ${points}`);
