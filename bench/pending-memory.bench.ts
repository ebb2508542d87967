/**
 * Memory (JS heap plus array buffers) per point held between checkpoints (server/store/series/pending-points.ts):
 * 100,000 series x 30 points at 10 s (5 minutes of a 5,000-agent fleet), values like the store bench's
 * mix (gauges with one decimal, byte counts, constants, counters); then the size and time of the
 * checkpoint's snapshot of those heads. Run with
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
    case 0:
    case 1:
    case 2:
    case 3:
      return Math.round(Math.abs(Math.sin(id + i / 7)) * 1000) / 10;
    case 4:
    case 5:
    case 6:
      return 2 ** 30 + ((id * 7919 + i * 4096) % 2 ** 20);
    case 7:
    case 8:
      return 4096;
    default:
      return id * 1000 + i * 1234;
  }
};

gc();
// Typed arrays keep their bytes outside the JS heap: count both.
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = held();
const pending = new PendingPoints(RAW_CHUNK_MS);
// Agents send every series of a host each interval: points arrive interval by interval.
for (let i = 0; i < perSeries; i++) {
  for (let id = 1; id <= series; id++) pending.add(id, start + i * 10_000 + (id % 1000), value(id, i));
}
// Array buffers are freed by a sweeper after the collection: let it finish before reading.
gc();
await new Promise((resolve) => setTimeout(resolve, 200));
gc();
const used = held() - before;
const points = series * perSeries;
// What a checkpoint re-logs: every open head, compactly, 2,000 series a row (as the store takes it).
const ids = [...pending.seriesIds()];
let longestSliceMs = 0;
const parts: Uint8Array[] = [];
const started = performance.now();
for (let i = 0; i < ids.length; i += 2000) {
  const sliceStart = performance.now();
  parts.push(pending.snapshot(ids.slice(i, i + 2000)));
  longestSliceMs = Math.max(longestSliceMs, performance.now() - sliceStart);
}
const snapshotMs = performance.now() - started;
const snapshotBytes = parts.reduce((n, p) => n + p.length, 0);
console.log(
  JSON.stringify({
    series,
    points_per_series: perSeries,
    points,
    memory_mb: +(used / 2 ** 20).toFixed(1),
    bytes_per_point: +(used / points).toFixed(1),
    bytes_per_series: Math.round(used / series),
    snapshot_mb: +(snapshotBytes / 2 ** 20).toFixed(1),
    snapshot_bytes_per_point: +(snapshotBytes / points).toFixed(2),
    snapshot_ms: Math.round(snapshotMs),
    longest_slice_ms: +longestSliceMs.toFixed(1),
  }),
);
if (pending.size !== points) throw new Error(`held ${pending.size} points, expected ${points}`);
